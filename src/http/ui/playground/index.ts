export { registerPlayground } from './routes.js';
export { acceptPlaygroundSessions, PLAYGROUND_COOKIE } from '../../auth/playgroundSessions.js';
