export * from './types.js';
export * from './catalog.js';
export { createKieProvider, type KieProviderOptions } from './kie.js';
export { signKieCallback, verifyKieCallback, type KieSignatureCheck } from './kie-signature.js';
export { createProviderRegistry, type ProviderRegistry } from './registry.js';
export {
  startSimulator,
  type RunningSimulator,
  type SimStats,
  type SimulatorFaults,
  type SimulatorOptions,
} from './simulator/index.js';
