export { registerPlayground } from './routes.js';
export { acceptPlaygroundSessions, PLAYGROUND_COOKIE } from './sessionAuth.js';
