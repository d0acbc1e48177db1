import type { Command } from 'commander';
import type { Io } from './output.js';
import { registerCheck } from './check.js';
import { registerOrphans } from './orphans.js';
import { registerPlan } from './plan-command.js';
import { registerStatus } from './status.js';
import { registerTrace } from './trace-command.js';

/**
 * The read-mostly verbs of `kubectl fortisync` (the same program as `fortisync <verb>`): they run
 * with the user's kubeconfig and permissions, never the operator's.
 */
export function registerPluginCommands(program: Command, io: Io): void {
  registerTrace(program, io);
  registerStatus(program, io);
  registerPlan(program, io);
  registerOrphans(program, io);
  registerCheck(program, io);
}
