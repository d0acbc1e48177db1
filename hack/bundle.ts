/**
 * Bundles the compiled CLI (dist/src/cmd/fortisync.js) and every package it imports into
 * dist/bundle/fortisync.mjs: what the image runs, with no node_modules beside it.
 *
 * Why: loading client-node's generated API modules one file at a time costs the process about
 * 20 MB of V8 heap (their source text, comments included, and metadata) that a bundle with the
 * whitespace taken out and unused exports dropped does not (docs/decisions/0007-bundle.md).
 * Identifiers are kept, so stack traces and class names in logs read as in the source; the
 * simulator and other dynamically imported commands go in chunks of their own that the operator
 * never loads.
 */
import { build, type Metafile } from 'esbuild';
import { builtinModules } from 'node:module';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '../../..');
const outdir = join(root, 'dist/bundle');

/** Packages a dependency requires inside try/catch and works without (ws's optional native helpers). */
const OPTIONAL = new Set(['bufferutil', 'utf-8-validate']);

/** Imports the bundle leaves to the runtime: anything but Node's own modules would fail in the image. */
function unbundledPackages(meta: Metafile): string[] {
  const builtins = new Set(builtinModules);
  const left = new Set<string>();
  for (const output of Object.values(meta.outputs)) {
    for (const imp of output.imports) {
      if (!imp.external || imp.path.startsWith('node:') || builtins.has(imp.path)) continue;
      if (!OPTIONAL.has(imp.path)) left.add(imp.path);
    }
  }
  return [...left];
}

async function main(): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: [join(root, 'dist/src/cmd/fortisync.js')],
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    // CommonJS packages inside an ES module bundle still call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __fortisyncRequire } from 'node:module'; const require = __fortisyncRequire(import.meta.url);",
    },
  });
  const left = unbundledPackages(result.metafile);
  if (left.length > 0) throw new Error(`the bundle still imports packages at run time: ${left.join(', ')}`);
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((sum, [, o]) => sum + o.bytes, 0);
  console.log(`bundle: ${outdir}/fortisync.mjs (${(bytes / 1024 / 1024).toFixed(1)} MB with its chunks)`);
}

await main();
