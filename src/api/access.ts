// Who may call a route, declared once on the route and enforced by one middleware before the
// request is validated: 401 without a valid key, 403 for a role the route does not admit, 404 for an
// object of another organisation (exactly as for a missing one).
import type { MiddlewareHandler } from 'hono';
import type { Db } from '../db/pool.js';
import type { Principal, Role } from '../domain/auth/principal.js';
import { AppError, forbidden, notFound } from '../domain/errors.js';
import type { AppEnv } from './env.js';

/** The access levels a route can declare. */
export const accessLevels = [
  'public',
  'any-key',
  'org-member',
  'org-admin',
  'publisher-of-listing',
  'reviewer',
  'platform-admin',
] as const;

/** One access level. */
export type AccessLevel = (typeof accessLevels)[number];

/** The key roles each level admits (a public route admits callers without a key too). */
export const rolesAdmitted: Record<AccessLevel, readonly Role[]> = {
  public: ['admin', 'member', 'reviewer', 'platform-admin'],
  'any-key': ['admin', 'member', 'reviewer', 'platform-admin'],
  'org-member': ['admin', 'member'],
  'org-admin': ['admin'],
  'publisher-of-listing': ['admin', 'member'],
  reviewer: ['reviewer', 'platform-admin'],
  'platform-admin': ['platform-admin'],
};

const levelWords: Record<AccessLevel, string> = {
  public: 'anyone, no key needed',
  'any-key': 'any valid key',
  'org-member': "an organisation's admin or member key",
  'org-admin': "an organisation's admin key",
  'publisher-of-listing': "a key (admin or member) of the listing's publisher organisation",
  reviewer: 'a reviewer or platform-admin key',
  'platform-admin': 'a platform-admin key',
};

/** Objects a path parameter can name, whose owning organisation the access check looks up. */
export type OwnedKind =
  | 'listing'
  | 'visible-listing'
  | 'installation'
  | 'execution'
  | 'invoice'
  | 'organization'
  | 'api-key'
  | 'workflow'
  | 'webhook';

/** A route's declared access: the levels that may call it (any one suffices) and what its path names. */
export interface RouteAccess {
  levels: readonly AccessLevel[];
  /** The path parameter naming an object that must belong to the caller's organisation (404 otherwise). */
  owned?: { param: string; kind: OwnedKind };
}

/** The roles any of the levels admits. */
export function rolesFor(access: RouteAccess): Role[] {
  return [...new Set(access.levels.flatMap((level) => rolesAdmitted[level]))];
}

/** The access sentence written into a route's OpenAPI description. */
export function describeAccess(access: RouteAccess): string {
  const who = access.levels.map((level) => levelWords[level]).join(', or ');
  const owned = !access.owned
    ? ''
    : access.owned.kind === 'visible-listing'
      ? `; the listing named by \`${access.owned.param}\` must be one the caller may see: public and published, or its own (404 otherwise)`
      : `; the ${access.owned.kind} named by \`${access.owned.param}\` must be the caller's organisation's (404 otherwise)`;
  return `**Access:** ${who}${owned}.`;
}

// Who owns an object: its organisation (null: the platform's), whether a reviewer may read it, and
// whether every caller may (a public listing with a published version).
interface Owner {
  orgId: string | null;
  reviewable: boolean;
  open: boolean;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// One query per kind; ids that are not uuids name nothing (PostgreSQL would refuse the cast).
const ownerQueries: Record<OwnedKind, (value: string) => { sql: string; args: unknown[] } | null> = {
  listing: (value) => ({
    sql: `SELECT org_id, EXISTS (SELECT 1 FROM listing_versions v WHERE v.listing_id = l.id AND v.status = 'in_review') AS reviewable
          FROM listings l WHERE l.slug = $1 OR l.id = $2`,
    args: [value, uuidPattern.test(value) ? value : null],
  }),
  'visible-listing': (value) => ({
    sql: `SELECT org_id,
            EXISTS (SELECT 1 FROM listing_versions v WHERE v.listing_id = l.id AND v.status = 'in_review') AS reviewable,
            l.visibility = 'public' AND EXISTS (
              SELECT 1 FROM listing_versions v WHERE v.listing_id = l.id AND v.status IN ('published', 'deprecated')
            ) AS open
          FROM listings l WHERE l.slug = $1 OR l.id = $2`,
    args: [value, uuidPattern.test(value) ? value : null],
  }),
  installation: (value) =>
    byUuid('SELECT org_id, false AS reviewable FROM installations WHERE id = $1', value),
  execution: (value) => byUuid('SELECT org_id, false AS reviewable FROM executions WHERE id = $1', value),
  invoice: (value) => byUuid('SELECT org_id, false AS reviewable FROM invoices WHERE id = $1', value),
  organization: (value) =>
    byUuid('SELECT id AS org_id, false AS reviewable FROM organizations WHERE id = $1', value),
  'api-key': (value) => ({
    sql: 'SELECT org_id, false AS reviewable FROM api_keys WHERE id = $1',
    args: [value],
  }),
  webhook: (value) =>
    byUuid('SELECT org_id, false AS reviewable FROM webhook_endpoints WHERE id = $1', value),
  workflow: (value) => ({
    sql: `SELECT org_id, kind = 'publish-review' AS reviewable FROM workflow_owners WHERE workflow_id = $1`,
    args: [value],
  }),
};

function byUuid(sql: string, value: string) {
  return uuidPattern.test(value) ? { sql, args: [value] } : null;
}

async function findOwner(db: Db, kind: OwnedKind, value: string): Promise<Owner | null> {
  const query = ownerQueries[kind](value);
  if (!query) return null;
  const { rows } = await db.query(query.sql, query.args);
  return rows[0]
    ? { orgId: rows[0].org_id, reviewable: rows[0].reviewable, open: rows[0].open === true }
    : null;
}

/** True when this caller may touch an object owned as given. */
function mayTouch(principal: Principal, owner: Owner): boolean {
  if (principal.role === 'platform-admin' || owner.open) return true;
  if (principal.role === 'reviewer') return owner.reviewable;
  return owner.orgId !== null && owner.orgId === principal.orgId;
}

/** The middleware that enforces a route's declared access; the principal is set by authentication. */
export function enforceAccess(db: Db, access: RouteAccess): MiddlewareHandler<AppEnv> {
  const roles = rolesFor(access);
  const isPublic = access.levels.includes('public');
  return async function accessMiddleware(c, next) {
    if (isPublic) return next();
    const principal = c.get('principal');
    if (!principal) throw new AppError('unauthorized', 'send your API key as "Authorization: Bearer <key>"');
    if (!roles.includes(principal.role)) {
      throw forbidden(`this action needs ${access.levels.map((level) => levelWords[level]).join(', or ')}`);
    }
    if (access.owned) {
      const value = c.req.param(access.owned.param) ?? '';
      const owner = await findOwner(db, access.owned.kind, value);
      if (!owner || !mayTouch(principal, owner)) {
        throw notFound(
          access.owned.kind === 'visible-listing' ? 'listing' : access.owned.kind.replace('-', ' '),
        );
      }
    }
    await next();
  };
}
