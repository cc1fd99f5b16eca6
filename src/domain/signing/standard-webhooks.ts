import { createHmac, randomBytes } from 'node:crypto';

/** How signing secrets start (Standard Webhooks): the rest is the base64 of the HMAC key. */
export const SIGNING_SECRET_PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes, as `whsec_<base64>`. */
export function generateSigningSecret(): string {
  return SIGNING_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** One `v1,<base64 HMAC-SHA256>` signature over `<id>.<timestamp>.<body>` (Standard Webhooks). */
export function signPayload(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(SIGNING_SECRET_PREFIX.length), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/**
 * The Standard Webhooks headers for one request: its id, the time it was signed, and one signature
 * per secret (the current one, and the previous one while a rotation's grace period lasts),
 * space-separated, so a publisher's endpoint accepts either during a rotation.
 */
export function signatureHeaders(input: {
  secrets: string[];
  id: string;
  timestamp: number;
  body: string;
}): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': input.secrets
      .map((secret) => signPayload(secret, input.id, input.timestamp, input.body))
      .join(' '),
  };
}
