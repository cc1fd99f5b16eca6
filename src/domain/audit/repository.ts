import type { Queryable } from '../../db/pool.js';
import type { Principal } from '../auth/principal.js';

/** Every action the audit trail records, by subject. */
export const auditActions = [
  'org.created',
  'org.suspended',
  'org.reinstated',
  'key.created',
  'key.revoked',
  'listing.created',
  'listing.signing_secret_rotated',
  'version.created',
  'version.artifact_uploaded',
  'version.returned_to_draft',
  'version.published',
  'version.rejected',
  'version.deprecated',
  'version.suspended',
  'review.approved',
  'review.rejected',
  'credential.created',
  'credential.replaced',
  'credential.deleted',
  'credential.read',
  'credential.read_missing',
  'installation.requested',
  'installation.active',
  'installation.failed',
  'installation.budget_changed',
  'installation.removal_requested',
  'installation.removed',
  'installation.upgraded',
  'rating.hidden',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'session.created',
  'session.ended',
  'tool.created',
  'tool.updated',
  'tool.deleted',
] as const;

/** One action the audit trail records. */
export type AuditAction = (typeof auditActions)[number];

/** One entry in an organisation's (or the platform's) audit trail. */
export interface AuditEvent {
  id: string;
  orgId: string | null;
  actorKeyId: string | null;
  actorRole: string | null;
  action: AuditAction;
  subjectType: string;
  subjectId: string;
  reason: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

/** What to record: the trail it belongs to, who acted (a key, or the platform itself) and on what. */
export interface AuditInput {
  orgId: string | null;
  actor: Pick<Principal, 'keyId' | 'role'> | null;
  action: AuditAction;
  subjectType: string;
  subjectId: string;
  reason?: string | null;
  details?: Record<string, unknown>;
}

/** Appends one audit event. */
export async function recordAudit(db: Queryable, input: AuditInput): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (org_id, actor_key_id, actor_role, action, subject_type, subject_id, reason, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      input.orgId,
      input.actor?.keyId ?? null,
      input.actor?.role ?? null,
      input.action,
      input.subjectType,
      input.subjectId,
      input.reason ?? null,
      JSON.stringify(input.details ?? {}),
    ],
  );
}

/** Lists an organisation's audit trail within [from, to), oldest first. */
export async function listAudit(
  db: Queryable,
  input: { orgId: string; from?: string; to?: string; limit: number },
): Promise<AuditEvent[]> {
  const { rows } = await db.query(
    `SELECT * FROM audit_events
     WHERE org_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
     ORDER BY created_at, id LIMIT $4`,
    [input.orgId, input.from ?? null, input.to ?? null, input.limit],
  );
  return rows.map((row) => ({
    id: String(row.id),
    orgId: row.org_id,
    actorKeyId: row.actor_key_id,
    actorRole: row.actor_role,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    reason: row.reason,
    details: row.details,
    createdAt: (row.created_at as Date).toISOString(),
  }));
}
