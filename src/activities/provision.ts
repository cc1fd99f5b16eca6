import { ApplicationFailure } from '@temporalio/activity';
import type { SecretStore } from '../adapters/secrets/secret-store.js';
import { withTransaction, type Db } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import { findVersionById } from '../domain/catalog/repository.js';
import { findMissingCredentials } from '../domain/credentials/missing-credentials.js';
import { readSecretAudited } from '../domain/credentials/read-secret-audited.js';
import {
  closeMeter,
  findInstallation,
  openMeter,
  setInstallationRuntime,
  transitionInstallation,
  type Installation,
} from '../domain/installs/repository.js';
import type { Logger } from '../logger.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';

/** What the provisioning activities need. */
export interface ProvisionActivityDeps {
  db: Db;
  secrets: SecretStore;
  runtime: RuntimeDriver;
  logger: Logger;
}

/** The activities of the provision workflow. */
export type ProvisionActivities = ReturnType<typeof createProvisionActivities>;

type ById = { installationId: string };

/**
 * Builds the provisioning activities. Each is idempotent, and each undo succeeds when there is
 * nothing to undo. Secret values pass only between the secret store and the runtime inside
 * injectInstallationSecrets: no activity takes or returns one, so none reaches workflow history.
 */
export function createProvisionActivities({ db, secrets, runtime, logger }: ProvisionActivityDeps) {
  async function load(installationId: string): Promise<Installation> {
    const installation = await findInstallation(db, installationId);
    if (!installation) {
      throw ApplicationFailure.nonRetryable(
        `installation ${installationId} does not exist`,
        'InstallationNotFound',
      );
    }
    return installation;
  }

  function missingCredentialsFailure(missing: string[]) {
    return ApplicationFailure.nonRetryable(
      `missing credentials: ${missing.join(', ')}; store them with PUT /v1/credentials/{name} and install again`,
      'MissingCredentials',
      { missing },
    );
  }

  return {
    /** Fails, naming every one, when the tenant no longer holds a credential the version declares. */
    async checkInstallationCredentials({ installationId }: ById): Promise<void> {
      const installation = await load(installationId);
      const missing = await findMissingCredentials(secrets, installation.orgId, installation.credentialNames);
      if (missing.length > 0) throw missingCredentialsFailure(missing);
    },

    /** Creates the installation's isolated runtime and records where it is. */
    async createInstallationRuntime({ installationId }: ById): Promise<void> {
      const installation = await load(installationId);
      const version = await findVersionById(db, installation.versionId);
      if (!version)
        throw ApplicationFailure.nonRetryable('the installed version no longer exists', 'VersionNotFound');
      const ref = await runtime.createRuntime({
        installationId,
        tenantId: installation.orgId,
        listingId: installation.listingId,
        versionId: installation.versionId,
        manifest: version.manifest,
      });
      await setInstallationRuntime(db, installationId, ref);
    },

    /** Undo of createInstallationRuntime: removes the runtime, wherever it got to. */
    async destroyInstallationRuntime({ installationId }: ById): Promise<void> {
      const installation = await load(installationId);
      await runtime.destroyRuntime(runtime.refFor({ installationId, tenantId: installation.orgId }));
      await setInstallationRuntime(db, installationId, null);
    },

    /** Reads the declared credentials from the secret store (each read audited) into the runtime. */
    async injectInstallationSecrets({ installationId }: ById): Promise<void> {
      const installation = await load(installationId);
      const actor = installation.createdBy ? { keyId: installation.createdBy, role: 'admin' as const } : null;
      const values: Record<string, string> = {};
      const missing: string[] = [];
      for (const name of installation.credentialNames) {
        const value = await readSecretAudited(
          { db, secrets },
          { tenantId: installation.orgId, name, purpose: { installationId }, actor },
        );
        if (value === null) missing.push(name);
        else values[name] = value;
      }
      if (missing.length > 0) throw missingCredentialsFailure(missing);
      await runtime.injectSecrets(runtime.refFor({ installationId, tenantId: installation.orgId }), values);
    },

    /** Undo of injectInstallationSecrets: removes every secret from the runtime. */
    async revokeInstallationSecrets({ installationId }: ById): Promise<void> {
      const installation = await load(installationId);
      await runtime.revokeSecrets(runtime.refFor({ installationId, tenantId: installation.orgId }));
    },

    /** Opens the usage meter with a snapshot of the version's pricing. */
    async openInstallationMeter({ installationId }: ById): Promise<void> {
      const installation = await load(installationId);
      const version = await findVersionById(db, installation.versionId);
      if (!version)
        throw ApplicationFailure.nonRetryable('the installed version no longer exists', 'VersionNotFound');
      await openMeter(db, {
        installationId,
        orgId: installation.orgId,
        listingId: installation.listingId,
        pricing: version.manifest.pricing,
      });
    },

    /** Undo of openInstallationMeter. */
    async closeInstallationMeter({ installationId }: ById): Promise<void> {
      await closeMeter(db, installationId);
    },

    /** Marks the installation active: it can be invoked from now on. */
    async activateInstallation({ installationId }: ById): Promise<void> {
      const installation = await load(installationId);
      if (installation.status === 'active') return;
      await withTransaction(db, async (tx) => {
        const moved = await transitionInstallation(tx, {
          id: installationId,
          from: ['provisioning'],
          to: 'active',
        });
        if (!moved) {
          throw ApplicationFailure.nonRetryable(
            `installation is ${installation.status}, cannot become active`,
            'InvalidInstallationStatus',
          );
        }
        await recordAudit(tx, {
          orgId: installation.orgId,
          actor: null,
          action: 'installation.active',
          subjectType: 'installation',
          subjectId: installationId,
        });
      });
      logger.info({ installationId }, 'installation active');
    },

    /** Marks a deprovisioned installation removed: its runtime, secrets and meter are gone. */
    async markInstallationRemoved({ installationId }: ById): Promise<void> {
      const installation = await load(installationId);
      await withTransaction(db, async (tx) => {
        const moved = await transitionInstallation(tx, {
          id: installationId,
          from: ['deprovisioning'],
          to: 'removed',
        });
        if (!moved) return; // already removed by an earlier attempt
        await recordAudit(tx, {
          orgId: installation.orgId,
          actor: null,
          action: 'installation.removed',
          subjectType: 'installation',
          subjectId: installationId,
        });
      });
    },

    /** Marks a provisioning that could not complete as failed, with a reason a person can act on. */
    async failInstallation({ installationId, reason }: ById & { reason: string }): Promise<void> {
      const installation = await load(installationId);
      await withTransaction(db, async (tx) => {
        const moved = await transitionInstallation(tx, {
          id: installationId,
          from: ['provisioning'],
          to: 'failed',
          reason,
        });
        if (!moved) return;
        await recordAudit(tx, {
          orgId: installation.orgId,
          actor: null,
          action: 'installation.failed',
          subjectType: 'installation',
          subjectId: installationId,
          reason,
        });
      });
      logger.warn({ installationId, reason }, 'installation failed');
    },
  };
}
