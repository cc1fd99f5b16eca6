import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { findOrganization } from '../domain/auth/repository.js';
import type { ListingVersion } from '../domain/catalog/repository.js';
import { findMissingCredentials } from '../domain/credentials/missing-credentials.js';
import { AppError, forbidden } from '../domain/errors.js';
import { recordWorkflowOwner } from '../domain/workflows/repository.js';
import { installationIdKey, listingIdKey, tenantIdKey } from '../temporal/search-attributes.js';
import type { ApiDeps } from './env.js';

/**
 * Starts a workflow about one of a tenant's installations (provision, upgrade, deprovision,
 * execute), owned by the tenant and tagged with tenant, listing and installation for the Web UI.
 * Starting twice is safe: an already running (or finished) one is the answer.
 */
export async function startInstallationWorkflow<A>(
  deps: ApiDeps,
  input: {
    workflow: (arg: A) => Promise<unknown>;
    workflowId: string;
    kind: string;
    installation: { id: string; orgId: string; listingId: string };
    arg: A;
  },
): Promise<void> {
  const { installation } = input;
  await recordWorkflowOwner(deps.db, {
    workflowId: input.workflowId,
    orgId: installation.orgId,
    kind: input.kind,
  });
  try {
    await deps.temporal.workflow.start(input.workflow, {
      workflowId: input.workflowId,
      taskQueue: deps.config.temporal.taskQueue,
      args: [input.arg],
      typedSearchAttributes: new TypedSearchAttributes([
        { key: tenantIdKey, value: installation.orgId },
        { key: listingIdKey, value: installation.listingId },
        { key: installationIdKey, value: installation.id },
      ]),
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/**
 * Refuses a suspended organisation (403), and (422) a version that is not published, that no
 * configured runtime can run, or whose credentials the tenant does not all hold.
 */
export async function assertInstallable(
  deps: ApiDeps,
  orgId: string,
  version: ListingVersion,
): Promise<string[]> {
  const org = await findOrganization(deps.db, orgId);
  if (org?.status === 'suspended') {
    throw forbidden('your organisation is suspended and cannot install agents; contact the platform');
  }
  if (version.status !== 'published') {
    throw new AppError(
      'rule_violation',
      `version ${version.version} is ${version.status}; only a published version can be installed`,
    );
  }
  const { kind } = version.manifest.runtime;
  if (!deps.runtime.supports(kind)) {
    throw new AppError(
      'rule_violation',
      `this Bazaar runs no runtime for ${kind} agents, so it cannot install it`,
    );
  }
  const required = version.manifest.requiredCredentials.map((credential) => credential.name);
  const missing = await findMissingCredentials(deps.secrets, orgId, required);
  if (missing.length > 0) {
    throw new AppError(
      'rule_violation',
      `missing credentials: ${missing.join(', ')}; store them with PUT /v1/credentials/{name}`,
      { missing },
    );
  }
  return required;
}
