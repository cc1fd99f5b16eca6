import type { Context } from 'hono';
import type { RenderedJson } from '../services/rendered-json.js';

// Entity tags compare weakly for If-None-Match (RFC 9110 §13.1.2): a W/ prefix on either side is ignored.
const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** True when an If-None-Match header is `*` or lists this entity tag. */
export function noneMatchHolds(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const wanted = opaque(etag);
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || opaque(trimmed) === wanted;
  });
}

/**
 * Answers with JSON serialised beforehand and its ETag; 304 with no body when the request's
 * If-None-Match already names it. `private, no-cache`: a browser may keep it but asks again each time
 * (and gets the 304), and no shared cache keeps an answer to an authenticated request.
 */
export function sendRendered(c: Context, rendered: RenderedJson): Response {
  const headers = { etag: rendered.etag, 'cache-control': 'private, no-cache' };
  if (noneMatchHolds(c.req.header('if-none-match'), rendered.etag)) return c.body(null, 304, headers);
  return c.body(rendered.body, 200, { 'content-type': 'application/json', ...headers });
}
