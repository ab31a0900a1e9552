export { buildApp, BODY_LIMIT_BYTES } from './app.js';
export { startServer, type RunningServer } from './server.js';
export type { RouteSummary } from './routeTable.js';
