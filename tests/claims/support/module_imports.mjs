// What each JavaScript module imports, read by esbuild's parser rather than by patterns.
//
// For every file named on the command line: its literal import specifiers (static,
// side-effect, re-export and dynamic imports, as written) and how many dynamic imports
// have a target that cannot be read from the source (esbuild's unsupported-dynamic-import,
// raised to a warning here). A file that does not parse gets its first error instead.
// Nothing is bundled or written: every import is external, so only the file itself is read.
//
// Usage: node module_imports.mjs FILE...   (prints one JSON object keyed by FILE)
import { build } from 'esbuild';

async function read(file) {
  try {
    const result = await build({
      entryPoints: [file],
      bundle: true,
      external: ['*'],
      format: 'esm',
      metafile: true,
      write: false,
      outdir: 'unwritten',
      logLevel: 'silent',
      logOverride: { 'unsupported-dynamic-import': 'warning' },
    });
    const [input] = Object.values(result.metafile.inputs);
    const computed = result.warnings.filter((warning) => warning.id === 'unsupported-dynamic-import').length;
    return { specifiers: input.imports.map((entry) => entry.path), computed };
  } catch (failure) {
    const [first] = failure.errors ?? [];
    return { unreadable: first ? `${first.text} (line ${first.location?.line ?? '?'})` : String(failure) };
  }
}

const files = process.argv.slice(2);
const found = {};
for (const file of files) found[file] = await read(file);
process.stdout.write(JSON.stringify(found));
