import { Command } from 'commander';
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The `fortisync` command line; each subcommand registers itself here. */
export function buildProgram(): Command {
  const program = new Command('fortisync')
    .description(
      'Keeps FortiGate address objects and address groups in sync with the pods and nodes a label selector picks.',
    )
    .version(packageVersion())
    .showHelpAfterError();
  return program;
}
