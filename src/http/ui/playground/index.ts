export { registerPlayground } from './routes.js';
