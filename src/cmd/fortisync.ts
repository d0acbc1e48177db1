#!/usr/bin/env node
import { processIo } from './plugin/output.js';
import { buildProgram } from './program.js';

const io = { ...processIo(), exitCode: undefined as number | undefined };
await buildProgram(io).parseAsync(process.argv);
if (io.exitCode !== undefined) process.exitCode = io.exitCode;
