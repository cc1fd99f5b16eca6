import type { OrgPrincipal } from '../domain/auth/principal.js';
import { computeAdvisory } from '../domain/catalog/advisory.js';
import { findListingForCaller, findVersionById } from '../domain/catalog/repository.js';
import { AppError, conflict, notFound } from '../domain/errors.js';
import { findInstallation } from '../domain/installations/repository.js';
import { startOwnedWorkflow } from '../temporal/start-workflow.js';
import { installationSearchAttributes } from '../temporal/search-attributes.js';
import { upgradeInstallation as upgradeWorkflow, upgradeWorkflowId } from '../workflows/upgrade.js';
import { assertInstallable } from './assert-installable.js';
import { workflowStarter, type ServiceDeps } from './deps.js';

/**
 * Moves an active installation to another published version: checks the target may be installed
 * (422 naming every missing credential) and that a high-risk advisory was accepted (422), then starts `upgrade:<installationId>:<version>` (new runtime beside the old, switch, rollback on
 * failure). Safe to repeat. A yank of the target after this check is caught at the switch, which
 * re-reads the version's status under the same lock install takes.
 */
export async function upgradeInstallation(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { installationId: string; version: string; acceptRisk?: boolean },
): Promise<{ workflowId: string }> {
  const installation = await findInstallation(deps.db, input.installationId, principal.orgId);
  if (!installation) throw notFound('installation');
  if (installation.status !== 'active') {
    throw conflict(`only an active installation can be upgraded; this one is ${installation.status}`);
  }
  if (input.version === installation.version)
    throw conflict(`the installation already runs ${input.version}`);
  const found = await findListingForCaller(deps.db, installation.listingId, principal);
  const target = found?.versions.find((candidate) => candidate.version === input.version);
  if (!target) throw notFound('version');
  await assertInstallable(deps, principal.orgId, target);
  const current = await findVersionById(deps.db, installation.versionId);
  const advisory = computeAdvisory(current!.manifest, target.manifest);
  if (advisory.risk === 'high' && input.acceptRisk !== true) {
    throw new AppError(
      'rule_violation',
      `upgrading ${installation.version} → ${target.version} is high risk (${advisory.reasons.join('; ')}); send "acceptRisk": true to proceed`,
      { risk: advisory.risk, reasons: advisory.reasons },
    );
  }
  const workflowId = upgradeWorkflowId(installation.id, input.version);
  await startOwnedWorkflow(workflowStarter(deps), {
    workflow: upgradeWorkflow,
    workflowId,
    kind: 'upgrade',
    ownerOrgId: installation.orgId,
    arg: { installationId: installation.id, fromVersionId: installation.versionId, toVersionId: target.id },
    searchAttributes: installationSearchAttributes(installation),
  });
  return { workflowId };
}
