import { createRoute, z } from '@hono/zod-openapi';
import { orgRoleSchema, platformRoleSchema } from '../../domain/auth/principal.js';
import { forbidden } from '../../domain/errors.js';
import { describeCaller, signIn, signOut } from '../../services/console-sessions.js';
import type { ApiDeps } from '../env.js';
import { access, errorResponses, jsonBody, jsonResponse } from '../openapi.js';
import { createRouter } from '../router.js';
import { cameOverHttps, clearSessionCookie, CSRF_HEADER, writeSessionCookie } from '../session-cookie.js';

/** Who the caller is, as GET /v1/me and sign-in answer. */
const callerSchema = z
  .object({
    kind: z.enum(['org', 'platform']),
    orgId: z.uuid().optional(),
    orgName: z.string().optional(),
    role: z.union([orgRoleSchema, platformRoleSchema]),
    keyId: z.string(),
    keyName: z.string(),
    session: z
      .object({
        expiresAt: z.iso.datetime(),
        csrfToken: z.string().openapi({
          description: `Send it in the \`${CSRF_HEADER}\` header with every request that changes state`,
        }),
      })
      .optional()
      .openapi({ description: 'Only when the request came with the console session cookie' }),
  })
  .openapi('Caller');

const signInRoute = createRoute({
  method: 'post',
  path: '/v1/sessions',
  tags: ['console'],
  summary: 'Sign in to the console: exchange an API key for a session cookie',
  description: [
    'Sets an HttpOnly, SameSite=Strict session cookie (Secure over https), valid for `SESSION_TTL_SECONDS`',
    'or until its key is revoked. The key itself is not kept by the browser. Requests made with the cookie',
    `that change state must send \`session.csrfToken\` in the \`${CSRF_HEADER}\` header.`,
  ].join(' '),
  ...access('public'),
  request: jsonBody(z.object({ apiKey: z.string().min(1).max(512) })),
  responses: {
    201: jsonResponse(z.object({ principal: callerSchema }), 'Signed in; the cookie is set'),
    ...errorResponses(400, 401, 403),
  },
});

const meRoute = createRoute({
  method: 'get',
  path: '/v1/me',
  tags: ['console'],
  summary: 'Who the caller is (session or key): kind, organisation, role, key name',
  ...access('any-key'),
  responses: { 200: jsonResponse(callerSchema, 'The caller'), ...errorResponses(401) },
});

const signOutRoute = createRoute({
  method: 'delete',
  path: '/v1/sessions/current',
  tags: ['console'],
  summary: 'Sign out: end the console session this request came with',
  ...access('any-key'),
  responses: {
    204: { description: 'Ended; the cookie is cleared' },
    ...errorResponses(401, 403, 409),
  },
});

/** POST /v1/sessions: public, so the app mounts it before authentication. */
export function signInRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(signInRoute, async (c) => {
    // A page of another site must not sign the browser in as someone else (login CSRF).
    if (c.req.header('sec-fetch-site') === 'cross-site')
      throw forbidden('a cross-site request cannot sign in to the console');
    const { sessionId, caller } = await signIn(deps, c.req.valid('json'));
    writeSessionCookie(c, {
      sessionId,
      maxAgeSeconds: deps.config.console.sessionTtlSeconds,
      secure: cameOverHttps(c, deps.config.console.trustProxy),
    });
    return c.json({ principal: caller }, 201);
  });
}

/** GET /v1/me and DELETE /v1/sessions/current. */
export function sessionRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(meRoute, async (c) =>
      c.json(await describeCaller(deps, c.get('principal'), c.get('session')), 200),
    )
    .openapi(signOutRoute, async (c) => {
      await signOut(deps, c.get('principal'), c.get('session'));
      clearSessionCookie(c);
      return c.body(null, 204);
    });
}
