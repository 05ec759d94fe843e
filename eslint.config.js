// ESLint for the browser client and its tests: catches undefined names and other
// mistakes that node --test only finds on the paths a test happens to run.
import globals from 'globals';

export default [
  { ignores: ['static/vendor/**', 'node_modules/**', '.venv/**', 'var/**'] },
  {
    files: ['static/js/**/*.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.browser },
  },
  {
    files: ['tests/js/**/*.js', 'tools/**/*.mjs', 'bench/js/**/*.mjs', 'eslint.config.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: {
      'no-undef': 'error',
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-implicit-globals': 'error',
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      eqeqeq: 'error',
      'prefer-const': 'error',
    },
  },
];
