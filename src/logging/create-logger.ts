// One root logger per process; components take named children. Redaction covers every header and
// field name that can carry a credential, wherever it sits in a logged object.
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../config/config.js';

const SENSITIVE = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-tameflare-decision-token',
  'password',
  'token',
  'secret',
  'key',
  'credential',
  'apiKey',
  'api_key',
];

export const REDACT_PATHS = [
  ...SENSITIVE.flatMap((k) => [
    `["${k}"]`,
    `*["${k}"]`,
    `*.*["${k}"]`,
    `headers["${k}"]`,
    `req.headers["${k}"]`,
    `res.headers["${k}"]`,
  ]),
];

export interface LoggerOptions {
  level: LogLevel;
  /** Pretty, human output (a terminal); JSON lines otherwise. */
  pretty?: boolean | undefined;
  destination?: DestinationStream | undefined;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(base);
}
