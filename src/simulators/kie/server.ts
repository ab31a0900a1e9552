import { signKieCallback } from '../../providers/index.js';
import { launchSimulator, type SimUrls } from '../kit/launch.js';
import type { Profile } from '../kit/profile.js';
import { KIE_FAULT_RULES, type KieFaults } from './faults.js';
import { refundFailed } from './account.js';
import { callbackBody, resultUrlOf } from './record.js';
import { registerKieRoutes } from './routes.js';
import { KIE_FAILURES, KIE_STATES, kieFileName, viewTask, type KieTask } from './task.js';
import type { RunningSimulator, SimulatorOptions } from './types.js';

/** Starts a KIE-compatible fake provider (see DESIGN.md section 9). */
export function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return launchSimulator(options, { rules: KIE_FAULT_RULES, profile: kieProfile, routes: registerKieRoutes });
}

function kieProfile(urls: SimUrls): Profile<KieTask, KieFaults, 'success' | 'fail'> {
  return {
    noun: 'task',
    failureKinds: KIE_FAILURES.length,
    outcomes: { success: 'success', fail: 'fail' },
    secretKnobs: ['apiKey', 'callbackHmacKey'],
    states: KIE_STATES,
    stateOf: (task, now) => viewTask(task, now).state,
    finished: (task) => ({ taskId: task.id, state: viewTask(task, Date.now()).state }),
    fileName: kieFileName,
    // KIE answers its API errors as HTTP 200 with the code in the envelope; these are the real HTTP errors.
    problem: (reply, status, msg) => reply.code(status).send({ code: status, msg, data: null }),
    onEnd: (task, ending, faults) => refundFailed(task, faults, ending === 'fail'),
    callbackFor(task, at, faults) {
      if (!task.callBackUrl) return undefined;
      const body = callbackBody(task, at, resultUrlOf(task, urls, faults), faults.accountCredits);
      const key = faults.callbackHmacKey;
      return { url: task.callBackUrl, body, headers: key ? () => signedHeaders(task.id, key) : undefined };
    },
  };
}

/** KIE signs `taskId.timestamp`; a fresh timestamp per attempt, as a receiver checking clock skew would expect. */
function signedHeaders(providerTaskId: string, key: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'x-webhook-timestamp': String(timestamp),
    'x-webhook-signature': signKieCallback(providerTaskId, timestamp, key),
  };
}
