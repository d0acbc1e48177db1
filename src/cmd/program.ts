import { Command } from 'commander';
import { packageVersion } from '../version.js';
import { registerGenCrdsCommand } from './gen-crds-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerOperatorCommand } from './operator-command.js';
import { processIo, type Io } from './plugin/output.js';
import { registerPluginCommands } from './plugin/register.js';
import { registerSimulatorCommand } from './simulator-command.js';

/**
 * The `fortisync` command line (also run as the kubectl plugin `kubectl-fortisync`); each subcommand
 * registers itself here. The plugin verbs write to `io` and leave their exit code in `io.exitCode`.
 */
export function buildProgram(io: Io & { exitCode?: number } = processIo()): Command {
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
  registerPluginCommands(program, io);
  return program;
}
