import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import { authenticate } from '../domain/auth/repository.js';
import {
  createSession,
  csrfTokenFor,
  deleteSession,
  describeKey,
  newSessionId,
} from '../domain/auth/sessions.js';
import { AppError } from '../domain/errors.js';
import type { ServiceDeps } from './deps.js';

/** Who the caller is, as the console shows it; `session` only when the request came with the session cookie. */
export interface CallerDescription {
  kind: 'org' | 'platform';
  orgId?: string;
  orgName?: string;
  role: Principal['role'];
  keyId: string;
  keyName: string;
  session?: { expiresAt: string; csrfToken: string };
}

/** The session a request came with, as authentication found it. */
export interface RequestSession {
  id: string;
  idHash: string;
  expiresAt: string;
}

/** Describes the caller: its kind, organisation, role and key name (and its session, if any). */
export async function describeCaller(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  session?: RequestSession,
): Promise<CallerDescription> {
  const key = await describeKey(deps.db, principal.keyId);
  // The principal was just authenticated, so its key exists; a race with deletion is not an answer.
  if (!key) throw new AppError('unauthorized', 'the API key is unknown or revoked');
  return {
    kind: principal.orgId ? 'org' : 'platform',
    ...(principal.orgId ? { orgId: principal.orgId, orgName: key.orgName ?? undefined } : {}),
    role: principal.role,
    keyId: principal.keyId,
    keyName: key.keyName,
    ...(session ? { session: { expiresAt: session.expiresAt, csrfToken: csrfTokenFor(session.id) } } : {}),
  };
}

/**
 * Exchanges an API key for a console session (audited as `session.created`): returns the new session
 * id, for the cookie only, and the caller's description with the session's CSRF token.
 */
export async function signIn(
  deps: ServiceDeps,
  input: { apiKey: string },
): Promise<{ sessionId: string; caller: CallerDescription }> {
  const principal = await authenticate(deps.db, input.apiKey);
  if (!principal) throw new AppError('unauthorized', 'the API key is unknown or revoked');
  const sessionId = newSessionId();
  const created = await withTransaction(deps.db, async (tx) => {
    const stored = await createSession(tx, {
      sessionId,
      keyId: principal.keyId,
      ttlSeconds: deps.config.console.sessionTtlSeconds,
    });
    await recordAudit(tx, {
      orgId: principal.orgId,
      actor: principal,
      action: 'session.created',
      subjectType: 'api_key',
      subjectId: principal.keyId,
      details: { expiresAt: stored.expiresAt },
    });
    return stored;
  });
  const session = { id: sessionId, idHash: created.idHash, expiresAt: created.expiresAt };
  return { sessionId, caller: await describeCaller(deps, principal, session) };
}

/** Ends the request's session (audited as `session.ended`); a request made with a key has none to end. */
export async function signOut(
  deps: ServiceDeps,
  principal: Principal,
  session: RequestSession | undefined,
): Promise<void> {
  if (!session) {
    throw new AppError(
      'conflict',
      'this request came with an API key, not a console session: there is no session to end (revoke the key instead)',
    );
  }
  await withTransaction(deps.db, async (tx) => {
    await deleteSession(tx, session.idHash);
    await recordAudit(tx, {
      orgId: principal.orgId,
      actor: principal,
      action: 'session.ended',
      subjectType: 'api_key',
      subjectId: principal.keyId,
    });
  });
}
