// The console's session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page
// sends it), Path=/, Max-Age = the session's lifetime, and Secure with the `__Host-` prefix when the
// browser came over https: directly, or through a reverse proxy that says so in X-Forwarded-Proto
// when TRUST_PROXY=true. Over plain http (localhost) a Secure cookie would never come back, so there
// it is neither Secure nor prefixed.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/** The cookie's name (with `__Host-` prepended when Secure). */
export const SESSION_COOKIE = 'bazaar_session';

/** The header a cookie-authenticated request that changes state must carry the session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** True when the browser reached Bazaar over https (a trusted proxy's X-Forwarded-Proto counts). */
export function cameOverHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  if (!trustProxy) return false;
  // A chain of proxies appends: the first value is what the browser used.
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** The session id the browser sent, if any (the `__Host-` cookie first). */
export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE, 'host') ?? getCookie(c, SESSION_COOKIE);
}

/** Sets the session cookie on the answer. */
export function writeSessionCookie(
  c: Context,
  input: { sessionId: string; maxAgeSeconds: number; secure: boolean },
): void {
  setCookie(c, SESSION_COOKIE, input.sessionId, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    maxAge: input.maxAgeSeconds,
    ...(input.secure ? { secure: true, prefix: 'host' as const } : {}),
  });
}

/** Tells the browser to forget the session cookie (both spellings). */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true, prefix: 'host' });
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict' });
}
