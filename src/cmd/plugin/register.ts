import type { Command } from 'commander';
import type { Io } from './output.js';
import { registerTrace } from './trace-command.js';

/**
 * The read-mostly verbs of `kubectl fortisync` (the same program as `fortisync <verb>`): they run
 * with the user's kubeconfig and permissions, never the operator's.
 */
export function registerPluginCommands(program: Command, io: Io): void {
  registerTrace(program, io);
}
