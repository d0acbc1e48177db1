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
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

interface BundledPackage {
  name: string;
  version: string;
  license: string;
  /** The package's own licence text, when it ships one. */
  text?: string;
}

/**
 * Every package some output holds code of, read from its package.json: the image has no
 * node_modules, so this list (packages.json) is what says which package versions it runs, and the
 * notices file carries the licence texts the packages' licences ask to keep with copies.
 */
function bundledPackages(meta: Metafile): BundledPackage[] {
  const dirs = new Set<string>();
  for (const output of Object.values(meta.outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const dir = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
      if (dir) dirs.add(join(root, dir));
    }
  }
  return [...dirs]
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        license?: string;
      };
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
      return {
        name: pkg.name,
        version: pkg.version,
        license: pkg.license ?? 'see the package',
        ...(file ? { text: readFileSync(join(dir, file), 'utf8').trim() } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

function writeInventory(packages: BundledPackage[]): void {
  writeFileSync(
    join(outdir, 'packages.json'),
    JSON.stringify(
      packages.map(({ name, version, license }) => ({ name, version, license })),
      null,
      2,
    ) + '\n',
  );
  const notices = packages.map(
    (p) => `## ${p.name} ${p.version} (${p.license})\n\n${p.text ?? '(the package ships no licence file)'}\n`,
  );
  writeFileSync(
    join(outdir, 'THIRD-PARTY-NOTICES.md'),
    `# Packages bundled into fortisync.mjs\n\n${notices.join('\n')}`,
  );
}

/**
 * Node keeps each module's source for the process's lifetime, one byte a character when the file
 * is ASCII and two otherwise: a single non-ASCII character anywhere in fortisync.mjs costs 4.5 MB
 * of resident memory (measured: external memory 13.4 → 8.9 MB at start). esbuild escapes
 * non-ASCII in code by default; this catches what it leaves, such as comments.
 */
function assertAscii(files: string[]): void {
  for (const file of files) {
    const bytes = readFileSync(join(root, file));
    const at = bytes.findIndex((b) => b > 0x7f);
    if (at >= 0) {
      const context = bytes.subarray(Math.max(0, at - 60), at + 20).toString('utf8');
      throw new Error(
        `${file} is not ASCII at byte ${at} (…${context}…): Node would hold its source at two bytes a character`,
      );
    }
  }
}

async function main(): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
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
    // Licence comments go to fortisync.mjs.LEGAL.txt beside the bundle: one of them (a name with
    // an "ä") made the whole source non-ASCII (see assertAscii).
    legalComments: 'external',
    metafile: true,
    logLevel: 'warning',
    // CommonJS packages inside an ES module bundle still call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __fortisyncRequire } from 'node:module'; const require = __fortisyncRequire(import.meta.url);",
    },
  });
  const left = unbundledPackages(result.metafile);
  if (left.length > 0) throw new Error(`the bundle still imports packages at run time: ${left.join(', ')}`);
  assertAscii(Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.mjs')));
  const packages = bundledPackages(result.metafile);
  writeInventory(packages);
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((sum, [, o]) => sum + o.bytes, 0);
  console.log(
    `bundle: ${outdir}/fortisync.mjs (${(bytes / 1024 / 1024).toFixed(1)} MB with its chunks, ${packages.length} packages)`,
  );
}

await main();
