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
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'settle' } }, destination as never);
}
