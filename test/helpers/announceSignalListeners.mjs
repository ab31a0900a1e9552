// Preloaded into a spawned `settle` by tests (node --import): the moment the process has added its first SIGTERM
// listener, writes to fd 3 the file that added it, so a test can send the signal right then instead of guessing a
// delay, and know which stage of start-up it hit. Afterwards, a moment without any SIGTERM listener (a signal then
// would kill the process, whatever it had started) is written too, as `gap <file that removed the last one>`.
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
let announced = false;
for (const method of ['on', 'once', 'addListener']) {
  const original = process[method].bind(process);
  process[method] = (event, listener) => {
    const result = original(event, listener);
    if (event === 'SIGTERM' && !announced) {
      announced = true;
      writeSync(3, `${callerFile(new Error().stack ?? '')}\n`);
    }
    return result;
  };
}

function callerFile(stack) {
  const frame = stack.split('\n').slice(1).find((line) => !line.includes(self) && !line.includes('node:'));
  return frame?.match(/file:\/\/([^:)]+)/)?.[1] ?? 'unknown';
}

for (const method of ['off', 'removeListener']) {
  const original = process[method].bind(process);
  process[method] = (event, listener) => {
    const result = original(event, listener);
    if (event === 'SIGTERM' && announced && process.listenerCount('SIGTERM') === 0) {
      writeSync(3, `gap ${callerFile(new Error().stack ?? '')}\n`);
    }
    return result;
  };
}
