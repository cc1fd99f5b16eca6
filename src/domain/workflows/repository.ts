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
