import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { OrgPrincipal } from '../domain/auth/principal.js';
import { findListingForCaller, lockVersionStatus } from '../domain/catalog/repository.js';
import { AppError, notFound } from '../domain/errors.js';
import { createInstallation, transitionInstallation } from '../domain/installations/repository.js';
import { startOwnedWorkflow } from '../temporal/start-workflow.js';
import { installationSearchAttributes } from '../temporal/search-attributes.js';
import { provisionInstallation, provisionWorkflowId } from '../workflows/provision.js';
import { assertInstallable } from './assert-installable.js';
import { workflowStarter, type ServiceDeps } from './deps.js';

/**
 * Installs a listing's version (default: its latest published one) for the caller's organisation:
 * checks it may (published, runnable here, every credential held), records the installation and
 * starts `provision:<installationId>`. If provisioning cannot be started, the installation is failed
 * with a reason so it can be installed again.
 */
export async function installListing(
  deps: ServiceDeps,
  principal: OrgPrincipal,
  input: { listing: string; version?: string; monthlyBudget?: number },
): Promise<{ installationId: string; workflowId: string }> {
  const found = await findListingForCaller(deps.db, input.listing, principal);
  if (!found) throw notFound('listing');
  const wanted = input.version ?? found.listing.latestVersion;
  if (!wanted) {
    throw new AppError('rule_violation', `listing ${found.listing.slug} has no published version to install`);
  }
  const version = found.versions.find((candidate) => candidate.version === wanted);
  if (!version) throw notFound('version');
  const required = await assertInstallable(deps, principal.orgId, version);

  const installation = await withTransaction(deps.db, async (tx) => {
    // Checked again under a share lock: a deprecate or yank committed since the check above is seen
    // here, and one that starts now waits for this installation to be recorded (and counted).
    const status = await lockVersionStatus(tx, version.id, 'share');
    if (status !== 'published') {
      throw new AppError(
        'rule_violation',
        `version ${version.version} is ${status ?? 'gone'}; only a published version can be installed`,
      );
    }
    const created = await createInstallation(tx, {
      orgId: principal.orgId,
      listingId: found.listing.id,
      versionId: version.id,
      credentialNames: required,
      monthlyBudget: input.monthlyBudget === undefined ? null : String(input.monthlyBudget),
      createdBy: principal.keyId,
    });
    await recordAudit(tx, {
      orgId: principal.orgId,
      actor: principal,
      action: 'installation.requested',
      subjectType: 'installation',
      subjectId: created.id,
      details: { listingId: found.listing.id, version: version.version },
    });
    return created;
  });
  const workflowId = provisionWorkflowId(installation.id);
  try {
    await startOwnedWorkflow(workflowStarter(deps), {
      workflow: provisionInstallation,
      workflowId,
      kind: 'provision',
      ownerOrgId: installation.orgId,
      arg: { installationId: installation.id },
      searchAttributes: installationSearchAttributes(installation),
    });
  } catch (error) {
    await transitionInstallation(deps.db, {
      id: installation.id,
      from: ['provisioning'],
      to: 'failed',
      reason: 'provisioning could not be started; install again',
    });
    throw error;
  }
  return { installationId: installation.id, workflowId };
}
