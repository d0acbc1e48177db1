import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function registerGenCrdsCommand(program: Command): void {
  program
    .command('gen-crds')
    .description(
      'Write the CustomResourceDefinitions (generated from the TypeScript schemas) into a directory',
    )
    .option('--out <dir>', 'output directory', 'crds')
    .action(async (opts: { out: string }) => {
      // Loaded only for this command: the YAML library has no place in the operator's memory.
      const { CRD_FILE_NAMES, renderCrd } = await import('./render-crd.js');
      for (const file of CRD_FILE_NAMES) {
        writeFileSync(join(opts.out, file), renderCrd(file));
        console.log(`wrote ${join(opts.out, file)}`);
      }
    });
}
