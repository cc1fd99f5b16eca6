import { pino } from 'pino';

/** The structured JSON logger; children carry requestId, orgId and workflowId fields. */
export type Logger = pino.Logger;

/** Creates the root logger: one JSON object per line on stdout, secrets redacted by key name. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'bazaar' },
    redact: {
      paths: ['*.authorization', '*.apiKey', '*.token', '*.value', '*.secret', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
