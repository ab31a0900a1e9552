// Fake providers for the demo, the tests, the benchmarks and the chaos run; never imported by Settle itself.
export { mostCallsInWindow, providerTasksPerSettleTask, type Acceptance, type CreateCall, type SimLog } from './kit/ledger.js';
export {
  startReplicateSimulator,
  type ReplicateSimOutcome,
  type ReplicateSimStats,
  type ReplicateSimStatus,
  type ReplicateSimulatorFaults,
  type ReplicateSimulatorOptions,
  type RunningReplicateSimulator,
} from './replicate/index.js';
export {
  startSimulator,
  type RunningSimulator,
  type SimStats,
  type SimulatorFaults,
  type SimulatorOptions,
} from './kie/index.js';
