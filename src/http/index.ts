export { buildApp, BODY_LIMIT_BYTES } from './app.js';
export { startServer, type RunningServer } from './server.js';
