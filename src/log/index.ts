import { SECRET_PATHS } from '../config/index.js';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths that may carry credentials anywhere in a log object; pino replaces them before serialising. */
const REDACT = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'smtpUrl',
  '*.smtpUrl',
  // The configuration's secrets, when a Config is logged flat or as { config } (fixed paths: every wildcard costs
  // time on every log line).
  ...SECRET_PATHS.flatMap((path) => [path, `config.${path}`]),
  // Dashboard session values, and the headers that carry credentials.
  'cookie',
  '*.cookie',
  'csrfToken',
  '*.csrfToken',
  'token',
  '*.token',
  ...['headers', 'req.headers', 'res.headers'].flatMap((h) => [`${h}["set-cookie"]`, `${h}["x-csrf-token"]`, `${h}["x-api-key"]`]),
  'req.body.apiKey',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'settle' } }, destination as never);
}
