import { pino } from 'pino';
import { activeTraceIds } from './observability/tracing.js';

/** The structured JSON logger; children carry requestId, orgId and workflowId fields. */
export type Logger = pino.Logger;

/**
 * Creates the root logger: one JSON object per line (stdout unless given a destination), secrets
 * redacted by key name, and the active trace's traceId and spanId on every line logged inside one.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'bazaar' },
      mixin: activeTraceIds,
      redact: {
        paths: ['*.authorization', '*.apiKey', '*.token', '*.value', '*.secret', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
