export { startReplicateSimulator } from './server.js';
export type {
  ReplicateSimOutcome,
  ReplicateSimStats,
  ReplicateSimStatus,
  ReplicateSimulatorFaults,
  ReplicateSimulatorOptions,
  RunningReplicateSimulator,
} from './types.js';
