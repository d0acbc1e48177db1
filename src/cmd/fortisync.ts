#!/usr/bin/env node
import { basename } from 'node:path';
import { processIo } from './plugin/output.js';
import { buildProgram } from './program.js';

const io = { ...processIo(), exitCode: undefined as number | undefined };
const program = buildProgram(io);
// Run by kubectl (through the kubectl-fortisync shim or npm's bin link), help says how it is called.
if (process.env.FORTISYNC_AS_KUBECTL_PLUGIN || basename(process.argv[1] ?? '').startsWith('kubectl-'))
  program.name('kubectl fortisync');
await program.parseAsync(process.argv);
if (io.exitCode !== undefined) process.exitCode = io.exitCode;
