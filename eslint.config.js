// ESLint for the browser client and its tests: catches undefined names and other
// mistakes that node --test only finds on the paths a test happens to run.
import globals from 'globals';

// The browser client's layers mirror Python's packages (docs/ARCHITECTURE.md): protocol/ is
// what the relay and every client share (atopos_protocol), client/ what only a participant's
// device does (atopos_client), ui/ the page. Imports point down the layers, never up.
const layer = (directory, forbidden, message) => ({
  files: [`static/js/${directory}/**/*.js`],
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ regex: `(^|/)(${forbidden.join('|')})/`, message }] }],
  },
});

export default [
  { ignores: ['static/vendor/**', 'node_modules/**', '.venv/**', 'var/**'] },
  {
    files: ['static/js/**/*.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.browser },
  },
  {
    files: ['tests/js/**/*.js', 'tests/**/*.mjs', 'evidence/**/*.mjs', 'tools/**/*.mjs', 'bench/js/**/*.mjs', 'eslint.config.js'],
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
  layer('protocol', ['client', 'ui'], 'protocol/ is shared with the relay: it may import only protocol/ and vendor/.'),
  layer('client', ['ui'], 'client/ is the twin of atopos_client and knows no page: it may not import ui/.'),
];
