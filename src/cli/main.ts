#!/usr/bin/env node
// Loading the commands takes most of a second: a signal in that time must already find a handler (earlyExit.ts).
import { exitCleanlyUntilStarted } from './earlyExit.js';

exitCleanlyUntilStarted();
const { runCli } = await import('./program.js');
await runCli(process.argv);
