import { nonRetryable } from '../domain/failures.js';
import type { SecretStore } from '../adapters/secrets/secret-store.js';
import { withTransaction, type Db } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import { loadArtifact } from '../domain/catalog/artifacts.js';
import { findVersionById, lockVersionStatus } from '../domain/catalog/repository.js';
import { recordEvent } from '../domain/events/repository.js';
import { findMissingCredentials } from '../domain/credentials/missing-credentials.js';
import { readSecretAudited } from '../domain/credentials/read-secret-audited.js';
import {
  closeMeter,
  findInstallation,
  openMeter,
  setInstallationRuntime,
  setStatusReason,
  switchVersion,
  transitionInstallation,
  type Installation,
} from '../domain/installations/repository.js';
import type { Logger } from '../logger.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';
import { withRuntimeRefusals } from './runtime-refusals.js';

/** What the provisioning activities need. */
export interface ProvisionActivityDeps {
  db: Db;
  secrets: SecretStore;
  runtime: RuntimeDriver;
  logger: Logger;
}

/** The activities of the provision, upgrade and deprovision workflows. */
export type ProvisionActivities = ReturnType<typeof createProvisionActivities>;

/** Which installation, and which of its versions (default: the one it runs now). */
type Target = { installationId: string; versionId?: string };

/**
 * Builds the provisioning activities. Each is idempotent, and each undo succeeds when there is
 * nothing to undo. Secret values pass only between the secret store and the runtime inside
 * injectInstallationSecrets: no activity takes or returns one, so none reaches workflow history.
 */
export function createProvisionActivities({ db, secrets, runtime, logger }: ProvisionActivityDeps) {
  async function load(installationId: string): Promise<Installation> {
    const installation = await findInstallation(db, installationId);
    if (!installation) {
      throw nonRetryable('InstallationNotFound', `installation ${installationId} does not exist`);
    }
    return installation;
  }

  /** The installation and the version a step works on, that version's runtime slot and credentials. */
  async function loadTarget({ installationId, versionId }: Target) {
    const installation = await load(installationId);
    const version = await findVersionById(db, versionId ?? installation.versionId);
    if (!version || version.listingId !== installation.listingId) {
      throw nonRetryable('VersionNotFound', 'the version to install no longer exists');
    }
    const slot = {
      installationId,
      orgId: installation.orgId,
      versionId: version.id,
      runtimeKind: version.manifest.runtime.kind,
    };
    const credentialNames = version.manifest.requiredCredentials.map((credential) => credential.name);
    const current = version.id === installation.versionId;
    return { installation, version, slot, credentialNames, current };
  }

  function missingCredentialsFailure(missing: string[]) {
    return nonRetryable(
      'MissingCredentials',
      `missing credentials: ${missing.join(', ')}; store them with PUT /v1/credentials/{name} and try again`,
      { details: [{ missing }] },
    );
  }

  /**
   * Moves the installation between statuses, audits it and records the event (the action names
   * both), in one transaction; false if it was elsewhere, and then nothing is recorded.
   */
  async function moveAndAudit(
    installation: Installation,
    move: {
      from: Installation['status'][];
      to: Installation['status'];
      action: 'installation.active' | 'installation.failed' | 'installation.removed';
      reason?: string;
    },
  ): Promise<boolean> {
    return withTransaction(db, async (tx) => {
      const moved = await transitionInstallation(tx, {
        id: installation.id,
        from: move.from,
        to: move.to,
        reason: move.reason,
      });
      if (moved) {
        await recordAudit(tx, {
          orgId: installation.orgId,
          actor: null,
          action: move.action,
          subjectType: 'installation',
          subjectId: installation.id,
          reason: move.reason,
        });
        const data = {
          installationId: installation.id,
          listingId: installation.listingId,
          versionId: installation.versionId,
          version: installation.version,
        };
        await recordEvent(
          tx,
          move.action === 'installation.failed'
            ? { orgId: installation.orgId, type: move.action, data: { ...data, reason: move.reason ?? null } }
            : { orgId: installation.orgId, type: move.action, data },
        );
      }
      return moved;
    });
  }

  // A runtime's refusal (an endpoint the address policy refuses, a kind no driver runs) fails at once.
  return withRuntimeRefusals({
    /** Fails, naming every one, when the tenant does not hold a credential the version declares. */
    async checkInstallationCredentials(target: Target): Promise<void> {
      const { installation, credentialNames } = await loadTarget(target);
      const missing = await findMissingCredentials(secrets, installation.orgId, credentialNames);
      if (missing.length > 0) throw missingCredentialsFailure(missing);
    },

    /** Creates the version's isolated runtime (the one in service is recorded on the installation). */
    async createInstallationRuntime(target: Target): Promise<void> {
      const { installation, version, slot, current } = await loadTarget(target);
      const artifact = await loadArtifact(db, version.id);
      const ref = await runtime.createRuntime({
        ...slot,
        artifact,
        listingId: installation.listingId,
        manifest: version.manifest,
      });
      if (current) await setInstallationRuntime(db, installation.id, ref);
    },

    /** Undo of createInstallationRuntime: removes the runtime, wherever it got to. */
    async destroyInstallationRuntime(target: Target): Promise<void> {
      const { installation, slot, current } = await loadTarget(target);
      await runtime.destroyRuntime(runtime.refFor(slot));
      if (current) await setInstallationRuntime(db, installation.id, null);
    },

    /** Reads the version's declared credentials from the secret store (each read audited) into its runtime. */
    async injectInstallationSecrets(target: Target): Promise<void> {
      const { installation, slot, credentialNames } = await loadTarget(target);
      const actor = installation.createdBy ? { keyId: installation.createdBy, role: 'admin' as const } : null;
      const values: Record<string, string> = {};
      const missing: string[] = [];
      for (const name of credentialNames) {
        const value = await readSecretAudited(
          { db, secrets },
          { orgId: installation.orgId, name, purpose: { installationId: installation.id }, actor },
        );
        if (value === null) missing.push(name);
        else values[name] = value;
      }
      if (missing.length > 0) throw missingCredentialsFailure(missing);
      await runtime.injectSecrets(runtime.refFor(slot), values);
    },

    /** Undo of injectInstallationSecrets: removes every secret from the runtime. */
    async revokeInstallationSecrets(target: Target): Promise<void> {
      const { slot } = await loadTarget(target);
      await runtime.revokeSecrets(runtime.refFor(slot));
    },

    /** Opens the usage meter with a snapshot of the version's pricing. */
    async openInstallationMeter(target: Target): Promise<void> {
      const { installation, version } = await loadTarget(target);
      await openMeter(db, {
        installationId: installation.id,
        orgId: installation.orgId,
        listingId: installation.listingId,
        pricing: version.manifest.pricing,
      });
    },

    /** Undo of openInstallationMeter. */
    async closeInstallationMeter({ installationId }: Target): Promise<void> {
      await closeMeter(db, installationId);
    },

    /** Marks the installation active: it can be invoked from now on. */
    async activateInstallation({ installationId }: Target): Promise<void> {
      const installation = await load(installationId);
      if (installation.status === 'active') return;
      const moved = await moveAndAudit(installation, {
        from: ['provisioning'],
        to: 'active',
        action: 'installation.active',
      });
      if (!moved) {
        throw nonRetryable(
          'InvalidInstallationStatus',
          `installation is ${installation.status}, cannot become active`,
        );
      }
      logger.info({ installationId }, 'installation active');
    },

    /**
     * The upgrade's point of no return: the installation now runs the new version (its runtime,
     * credential names and meter pricing follow). Idempotent: already switched is success. The target
     * must still be published: it is checked under the version's share lock, as install does, so a
     * yank either committed before (the switch is refused and the saga rolls back) or waits for the
     * switch and then counts this installation as pinned to it.
     */
    async switchInstallationVersion(input: {
      installationId: string;
      fromVersionId: string;
      toVersionId: string;
    }): Promise<void> {
      const { installation, version, slot, credentialNames } = await loadTarget({
        installationId: input.installationId,
        versionId: input.toVersionId,
      });
      if (installation.versionId === input.toVersionId) return;
      await withTransaction(db, async (tx) => {
        const status = await lockVersionStatus(tx, input.toVersionId, 'share');
        if (status !== 'published') {
          throw nonRetryable(
            'InvalidVersionStatus',
            `version ${version.version} is ${status ?? 'gone'}; only a published version can be upgraded to`,
          );
        }
        const switched = await switchVersion(tx, {
          id: installation.id,
          fromVersionId: input.fromVersionId,
          toVersionId: input.toVersionId,
          credentialNames,
          runtime: runtime.refFor(slot),
          pricing: version.manifest.pricing,
        });
        if (!switched) throw nonRetryable('InstallationChanged', 'the installation changed meanwhile');
        await recordAudit(tx, {
          orgId: installation.orgId,
          actor: null,
          action: 'installation.upgraded',
          subjectType: 'installation',
          subjectId: installation.id,
          details: { fromVersionId: input.fromVersionId, toVersion: version.version },
        });
        await recordEvent(tx, {
          orgId: installation.orgId,
          type: 'installation.upgraded',
          data: {
            installationId: installation.id,
            listingId: installation.listingId,
            fromVersionId: input.fromVersionId,
            toVersionId: input.toVersionId,
            toVersion: version.version,
          },
        });
      });
    },

    /** Records why an upgrade did not happen; the installation keeps running its version. */
    async recordUpgradeFailure({
      installationId,
      reason,
    }: {
      installationId: string;
      reason: string;
    }): Promise<void> {
      await setStatusReason(db, installationId, reason);
    },

    /** Marks a deprovisioned installation removed: its runtime, secrets and meter are gone. */
    async markInstallationRemoved({ installationId }: Target): Promise<void> {
      const installation = await load(installationId);
      await moveAndAudit(installation, {
        from: ['deprovisioning'],
        to: 'removed',
        action: 'installation.removed',
      });
    },

    /** Marks a provisioning that could not complete as failed, with a reason a person can act on. */
    async failInstallation({
      installationId,
      reason,
    }: {
      installationId: string;
      reason: string;
    }): Promise<void> {
      const installation = await load(installationId);
      const moved = await moveAndAudit(installation, {
        from: ['provisioning'],
        to: 'failed',
        action: 'installation.failed',
        reason,
      });
      if (moved) logger.warn({ installationId, reason }, 'installation failed');
    },
  });
}
