import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { signReplicateWebhook } from '../../providers/index.js';
import { launchSimulator, type SimUrls } from '../kit/launch.js';
import type { Profile } from '../kit/profile.js';
import { REPLICATE_FAULT_RULES, type ReplicateFaults } from './faults.js';
import {
  outputFileName,
  predictionObject,
  REPLICATE_FAILURES,
  REPLICATE_STATUSES,
  resultPath,
  viewPrediction,
  wantsCompletedWebhook,
  type SimPrediction,
} from './prediction.js';
import { registerReplicateRoutes } from './routes.js';
import type { ReplicateSimOutcome, ReplicateSimulatorOptions, RunningReplicateSimulator } from './types.js';

/** Starts a Replicate-compatible fake provider: predictions API, signed webhooks, output files, fault knobs. */
export function startReplicateSimulator(options: ReplicateSimulatorOptions = {}): Promise<RunningReplicateSimulator> {
  return launchSimulator(options, { rules: REPLICATE_FAULT_RULES, profile: replicateProfile, routes: registerReplicateRoutes });
}

function replicateProfile(urls: SimUrls): Profile<SimPrediction, ReplicateFaults, ReplicateSimOutcome> {
  const statusOf = (prediction: SimPrediction, now = Date.now()) => viewPrediction(prediction, now).status;
  return {
    noun: 'prediction',
    failureKinds: REPLICATE_FAILURES.length,
    outcomes: { succeeded: 'success', failed: 'fail', aborted: 'abort' },
    secretKnobs: ['apiToken', 'webhookSecret'],
    states: REPLICATE_STATUSES,
    stateOf: statusOf,
    finished: (prediction) => ({ id: prediction.id, status: statusOf(prediction) }),
    fileName: outputFileName,
    problem: (reply, status, detail) =>
      reply.code(status).type('application/problem+json').send({ title: STATUS_CODES[status] ?? 'Error', detail, status }),
    callbackFor(prediction, at, faults) {
      if (!wantsCompletedWebhook(prediction)) return undefined;
      // One message id for every retry of this webhook, a fresh timestamp per attempt (Standard Webhooks).
      const messageId = `msg_${randomBytes(12).toString('hex')}`;
      const secret = faults.webhookSecret;
      const headers = secret ? (rawBody: string) => signedHeaders(messageId, rawBody, secret) : undefined;
      const body = predictionObject(prediction, at, urls.public(), urls.result(faults, resultPath(prediction)));
      return { url: prediction.webhook!, body, headers };
    },
  };
}

function signedHeaders(id: string, body: string, secret: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signReplicateWebhook({ id, timestamp, body, secret }),
  };
}
