import type { Queryable } from '../../db/pool.js';

/** Records which organisation owns a workflow (idempotent: the first owner stays). */
export async function recordWorkflowOwner(
  db: Queryable,
  input: { workflowId: string; orgId: string | null; kind: string },
): Promise<void> {
  await db.query(
    'INSERT INTO workflow_owners (workflow_id, org_id, kind) VALUES ($1, $2, $3) ON CONFLICT (workflow_id) DO NOTHING',
    [input.workflowId, input.orgId, input.kind],
  );
}

/** The owner of a workflow Bazaar started, or null when Bazaar never started it. */
export async function findWorkflowOwner(
  db: Queryable,
  workflowId: string,
): Promise<{ orgId: string | null; kind: string } | null> {
  const { rows } = await db.query('SELECT org_id, kind FROM workflow_owners WHERE workflow_id = $1', [
    workflowId,
  ]);
  return rows[0] ? { orgId: rows[0].org_id, kind: rows[0].kind } : null;
}
