/**
 * A SIGTERM or SIGINT that arrives before a command has started anything finds nothing to stop, so it is a clean exit
 * 0 (an orchestrator stopping a process that is still booting) rather than a death by signal. main.ts installs this
 * first thing. It stays until a long-running command installs its graceful stop in its place (onShutdown: the new
 * handler first, so there is no moment without one), or until any other command starts: those stop by dying.
 */
const exitBeforeStart = () => process.exit(0);

export function exitCleanlyUntilStarted(): void {
  process.once('SIGTERM', exitBeforeStart);
  process.once('SIGINT', exitBeforeStart);
}

export function stopExitingCleanly(): void {
  process.off('SIGTERM', exitBeforeStart);
  process.off('SIGINT', exitBeforeStart);
}
