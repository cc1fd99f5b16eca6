import { createHash } from 'node:crypto';

/** A JSON answer serialised once: its bytes and the strong entity tag naming exactly those bytes. */
export interface RenderedJson {
  body: Uint8Array<ArrayBuffer>;
  etag: string;
}

const encoder = new TextEncoder();

/** Serialises a value as the API sends it (JSON.stringify, as c.json does), with its ETag. */
export function renderJson(value: unknown): RenderedJson {
  const body = encoder.encode(JSON.stringify(value));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
}
