export { startSimulator } from './server.js';
export type { RunningSimulator, SimStats, SimulatorFaults, SimulatorOptions } from './types.js';
