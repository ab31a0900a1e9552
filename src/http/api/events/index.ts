export { registerTaskEventRoutes } from './taskEventRoutes.js';
