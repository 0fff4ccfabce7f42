import pino, { type Logger } from 'pino';

/**
 * Fixed redaction paths: credentials never reach a log line, whatever a request carries. The token values are
 * removed, not masked, so even their length does not leak.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.idToken',
  '*.refreshToken',
];

export function createLogger(options: {
  level: string;
  name?: string;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      name: options.name ?? 'ingest-api',
      level: options.level,
      redact: { paths: REDACT_PATHS, remove: true },
      base: { service: options.name ?? 'ingest-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

export type { Logger };
