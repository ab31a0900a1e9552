#!/usr/bin/env node
/**
 * Loading the commands takes most of a second. A SIGTERM or SIGINT in that time finds nothing started, so it ends
 * in a clean exit 0 (an orchestrator stopping a process that is still booting) rather than a death by signal. Once
 * loaded, each command decides: `serve`, `worker` and `demo` stop gracefully (shutdown.ts).
 */
const exitBeforeStart = () => process.exit(0);
process.once('SIGTERM', exitBeforeStart);
process.once('SIGINT', exitBeforeStart);
const { runCli } = await import('./program.js');
process.off('SIGTERM', exitBeforeStart);
process.off('SIGINT', exitBeforeStart);
await runCli(process.argv);
