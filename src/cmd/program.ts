import { Command } from 'commander';
import { packageVersion } from '../version.js';
import { registerGenCrdsCommand } from './gen-crds-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerOperatorCommand } from './operator-command.js';
import { registerSimulatorCommand } from './simulator-command.js';

/** The `fortisync` command line; each subcommand registers itself here. */
export function buildProgram(): Command {
  const program = new Command('fortisync')
    .description(
      'Keeps FortiGate address objects and address groups in sync with the pods and nodes a label selector picks.',
    )
    .version(packageVersion())
    .showHelpAfterError();
  registerOperatorCommand(program);
  registerGenCrdsCommand(program);
  registerSimulatorCommand(program);
  registerMigrateCommand(program);
  return program;
}
