import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { notFound } from '../domain/errors.js';
import { findInstallation, setMonthlyBudget, type Installation } from '../domain/installations/repository.js';
import type { ServiceDeps } from './deps.js';

/** Sets (or clears, with null) an installation's monthly budget and audits it; answers the installation. */
export async function setInstallationBudget(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { installationId: string; monthlyBudget: number | null },
): Promise<Installation> {
  const budget = input.monthlyBudget === null ? null : String(input.monthlyBudget);
  const id = input.installationId;
  await withTransaction(deps.db, async (tx) => {
    if (!(await setMonthlyBudget(tx, { id, orgId: principal.orgId, monthlyBudget: budget }))) {
      throw notFound('installation');
    }
    await recordAudit(tx, {
      orgId: principal.orgId,
      actor: principal,
      action: 'installation.budget_changed',
      subjectType: 'installation',
      subjectId: id,
      details: { monthlyBudget: budget },
    });
  });
  return (await findInstallation(deps.db, id, principal.orgId))!;
}
