export { createSystem, databaseOptions, type System, type SystemOptions } from './system.js';
export { startBackgroundWork, type BackgroundWork } from './background.js';
export { stopWithin } from './stopWithin.js';
