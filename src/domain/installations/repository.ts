import semver from 'semver';
import { z } from 'zod';
import type { Queryable } from '../../db/pool.js';
import { computeAdvisory, type Risk } from '../catalog/advisory.js';
import type { Manifest } from '../catalog/schemas.js';
import { trimDecimal } from '../decimal.js';
import type { RuntimeRef } from '../../runtime/runtime-driver.js';

/** Installation lifecycle states. */
export const installationStatusSchema = z.enum([
  'provisioning',
  'active',
  'failed',
  'deprovisioning',
  'removed',
]);
/** One installation lifecycle state. */
export type InstallationStatus = z.infer<typeof installationStatusSchema>;

/** An organisation's installation of one listing version. */
export interface Installation {
  id: string;
  orgId: string;
  listingId: string;
  listingSlug: string;
  versionId: string;
  version: string;
  status: InstallationStatus;
  statusReason: string | null;
  /**
   * The listing's newest published version when it is newer than the installed one, with the upgrade
   * advisory's risk of moving to it; null when the installation runs the newest.
   */
  upgradeAvailable: { version: string; risk: Risk } | null;
  credentialNames: string[];
  /** The consumer's cap on this installation's metered cost per calendar month (UTC), exact decimal. */
  monthlyBudget: string | null;
  runtime: RuntimeRef | null;
  /** The API key that asked for the installation. */
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

const SELECT_INSTALLATION = `
  SELECT i.*, l.slug AS listing_slug, v.version, v.manifest AS version_manifest,
         latest.version AS latest_version, latest.manifest AS latest_manifest
  FROM installations i
  JOIN listings l ON l.id = i.listing_id
  JOIN listing_versions v ON v.id = i.version_id
  LEFT JOIN listing_versions latest ON latest.id = l.latest_version_id`;

function toInstallation(row: Record<string, unknown>): Installation {
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    listingId: row.listing_id as string,
    listingSlug: row.listing_slug as string,
    versionId: row.version_id as string,
    version: row.version as string,
    status: row.status as InstallationStatus,
    statusReason: (row.status_reason as string | null) ?? null,
    upgradeAvailable:
      row.latest_version && semver.gt(row.latest_version as string, row.version as string)
        ? {
            version: row.latest_version as string,
            risk: computeAdvisory(row.version_manifest as Manifest, row.latest_manifest as Manifest).risk,
          }
        : null,
    credentialNames: row.credential_names as string[],
    monthlyBudget: row.monthly_budget === null ? null : trimDecimal(row.monthly_budget as string),
    runtime: (row.runtime as RuntimeRef | null) ?? null,
    createdBy: (row.created_by as string | null) ?? null,
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}

/** Records a new installation in `provisioning`. */
export async function createInstallation(
  db: Queryable,
  input: {
    orgId: string;
    listingId: string;
    versionId: string;
    credentialNames: string[];
    monthlyBudget: string | null;
    createdBy: string;
  },
): Promise<Installation> {
  const { rows } = await db.query(
    `INSERT INTO installations (org_id, listing_id, version_id, credential_names, monthly_budget, created_by)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [
      input.orgId,
      input.listingId,
      input.versionId,
      input.credentialNames,
      input.monthlyBudget,
      input.createdBy,
    ],
  );
  return (await findInstallation(db, rows[0].id))!;
}

/** Sets or clears an installation's monthly budget; false when the organisation holds no such installation. */
export async function setMonthlyBudget(
  db: Queryable,
  input: { id: string; orgId: string; monthlyBudget: string | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE installations SET monthly_budget = $3, updated_at = now() WHERE id::text = $1 AND org_id = $2',
    [input.id, input.orgId, input.monthlyBudget],
  );
  return rowCount === 1;
}

/** Finds an installation by id; with orgId, only that organisation's (another's is simply absent). */
export async function findInstallation(
  db: Queryable,
  id: string,
  orgId?: string,
): Promise<Installation | null> {
  const { rows } = await db.query(
    `${SELECT_INSTALLATION} WHERE i.id::text = $1 AND ($2::uuid IS NULL OR i.org_id = $2)`,
    [id, orgId ?? null],
  );
  return rows[0] ? toInstallation(rows[0]) : null;
}

/** An organisation's installations, newest first. */
export async function listInstallations(db: Queryable, orgId: string): Promise<Installation[]> {
  const { rows } = await db.query(
    `${SELECT_INSTALLATION} WHERE i.org_id = $1 ORDER BY i.created_at DESC, i.id`,
    [orgId],
  );
  return rows.map(toInstallation);
}

/** Installations left `provisioning` or `deprovisioning` longer than the given time, oldest first. */
export async function listStalledInstallations(
  db: Queryable,
  input: { olderThanMs: number; limit: number },
): Promise<Installation[]> {
  const { rows } = await db.query(
    `${SELECT_INSTALLATION}
     WHERE i.status IN ('provisioning', 'deprovisioning') AND i.updated_at < now() - make_interval(secs => $1 / 1000.0)
     ORDER BY i.updated_at, i.id LIMIT $2`,
    [input.olderThanMs, input.limit],
  );
  return rows.map(toInstallation);
}

/** A listing's active installations pinned to a version older than the given one (semver). */
export async function listInstallationsOlderThan(
  db: Queryable,
  input: { listingId: string; version: string },
): Promise<Installation[]> {
  const { rows } = await db.query(
    `${SELECT_INSTALLATION} WHERE i.listing_id = $1 AND i.status = 'active' ORDER BY i.created_at, i.id`,
    [input.listingId],
  );
  return rows.map(toInstallation).filter((installation) => semver.lt(installation.version, input.version));
}

/** Records where the runtime was created (or clears it with null). */
export async function setInstallationRuntime(
  db: Queryable,
  id: string,
  runtime: RuntimeRef | null,
): Promise<void> {
  await db.query('UPDATE installations SET runtime = $2, updated_at = now() WHERE id = $1', [
    id,
    runtime === null ? null : JSON.stringify(runtime),
  ]);
}

/** Moves an installation to a status only from the expected ones; false when it was elsewhere. */
export async function transitionInstallation(
  db: Queryable,
  input: { id: string; from: readonly InstallationStatus[]; to: InstallationStatus; reason?: string | null },
): Promise<boolean> {
  // One statement, so the listing's installation counts move exactly when the status does: every
  // installation that becomes active counts once, and active ones are counted while they are.
  const { rows } = await db.query(
    `WITH previous AS (
       SELECT id, listing_id, status FROM installations WHERE id = $1 AND status = ANY($2::text[]) FOR UPDATE
     ), moved AS (
       UPDATE installations i SET status = $3, status_reason = $4, updated_at = now()
       FROM previous p WHERE i.id = p.id RETURNING p.listing_id, p.status AS previous_status
     ), counted AS (
       UPDATE listings l SET
         installation_count = l.installation_count
           + CASE WHEN m.previous_status <> 'active' AND $3 = 'active' THEN 1 ELSE 0 END,
         active_installation_count = l.active_installation_count
           + CASE WHEN m.previous_status <> 'active' AND $3 = 'active' THEN 1
                  WHEN m.previous_status = 'active' AND $3 <> 'active' THEN -1 ELSE 0 END
       FROM moved m WHERE l.id = m.listing_id AND (m.previous_status = 'active') <> ($3 = 'active')
     )
     SELECT count(*)::int AS moved FROM moved`,
    [input.id, input.from, input.to, input.reason ?? null],
  );
  return rows[0].moved === 1;
}

/** Opens the installation's usage meter with a snapshot of the version's pricing (idempotent). */
export async function openMeter(
  db: Queryable,
  input: { installationId: string; orgId: string; listingId: string; pricing: unknown },
): Promise<void> {
  await db.query(
    `INSERT INTO usage_meters (installation_id, org_id, listing_id, pricing) VALUES ($1, $2, $3, $4)
     ON CONFLICT (installation_id) DO NOTHING`,
    [input.installationId, input.orgId, input.listingId, JSON.stringify(input.pricing)],
  );
}

/** Closes the installation's meter; closing a closed or missing meter is harmless. */
export async function closeMeter(db: Queryable, installationId: string): Promise<void> {
  await db.query(
    `UPDATE usage_meters SET status = 'closed', closed_at = COALESCE(closed_at, now()) WHERE installation_id = $1`,
    [installationId],
  );
}

/** The installation's meter status, or null when it has none. */
export async function meterStatus(db: Queryable, installationId: string): Promise<'open' | 'closed' | null> {
  const { rows } = await db.query('SELECT status FROM usage_meters WHERE installation_id = $1', [
    installationId,
  ]);
  return rows[0]?.status ?? null;
}

/** For each credential name, the tenant's live installations (provisioning or active) that use it. */
export async function installationsByCredential(
  db: Queryable,
  orgId: string,
): Promise<Map<string, string[]>> {
  const { rows } = await db.query(
    `SELECT name, array_agg(i.id::text ORDER BY i.created_at) AS ids
     FROM installations i, unnest(i.credential_names) AS name
     WHERE i.org_id = $1 AND i.status IN ('provisioning', 'active')
     GROUP BY name`,
    [orgId],
  );
  return new Map(rows.map((row) => [row.name as string, row.ids as string[]]));
}

/**
 * Moves an active installation from one version to another in one step, with the new runtime,
 * credential names and the meter's pricing snapshot; false when it no longer runs fromVersionId.
 */
export async function switchVersion(
  db: Queryable,
  input: {
    id: string;
    fromVersionId: string;
    toVersionId: string;
    credentialNames: string[];
    runtime: RuntimeRef;
    pricing: unknown;
  },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE installations SET version_id = $3, credential_names = $4, runtime = $5, status_reason = NULL, updated_at = now()
     WHERE id = $1 AND version_id = $2 AND status = 'active'`,
    [input.id, input.fromVersionId, input.toVersionId, input.credentialNames, JSON.stringify(input.runtime)],
  );
  if (rowCount !== 1) return false;
  await db.query('UPDATE usage_meters SET pricing = $2 WHERE installation_id = $1', [
    input.id,
    JSON.stringify(input.pricing),
  ]);
  return true;
}

/** Sets the human-readable note on an installation without changing its status. */
export async function setStatusReason(db: Queryable, id: string, reason: string | null): Promise<void> {
  await db.query('UPDATE installations SET status_reason = $2, updated_at = now() WHERE id = $1', [
    id,
    reason,
  ]);
}
