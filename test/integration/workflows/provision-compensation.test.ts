// The provision and upgrade sagas on the run's dev server with stub activities: each step failing in
// turn runs the undos registered so far, newest first, records the reason and fails the workflow
// with it. The whole-Bazaar tests (provisioning.test.ts) keep the happy paths and one failure each.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionWorkflowId, type provisionInstallation } from '../../../src/workflows/provision.js';
import { upgradeWorkflowId, type upgradeInstallation } from '../../../src/workflows/upgrade.js';
import { startStubWorker, type StubWorker } from '../../support/stub-worker.js';

const provisionSteps = [
  'checkInstallationCredentials',
  'createInstallationRuntime',
  'injectInstallationSecrets',
  'openInstallationMeter',
  'activateInstallation',
];
const undoes = ['destroyInstallationRuntime', 'revokeInstallationSecrets', 'closeInstallationMeter'];

let stubs: StubWorker;
beforeAll(async () => {
  stubs = await startStubWorker([
    ...provisionSteps,
    ...undoes,
    'failInstallation',
    'switchInstallationVersion',
    'recordUpgradeFailure',
    'markInstallationRemoved',
  ]);
});
afterAll(() => stubs?.stop());

/** Runs provision for a new installation whose stubs fail as told; returns its id and how it ended. */
async function provision(fail: Record<string, string>) {
  const installationId = randomUUID();
  stubs.script(installationId, { fail });
  const handle = await stubs.client.workflow.start<typeof provisionInstallation>('provisionInstallation', {
    workflowId: provisionWorkflowId(installationId),
    taskQueue: stubs.taskQueue,
    args: [{ installationId }],
  });
  const outcome = await handle.result().then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  return {
    installationId,
    ...outcome,
    state: await handle.query<{ phase: string; reason?: string }>('state'),
  };
}

/** The failure the workflow ended with: its type and message (the reason). */
function failureOf(error: unknown) {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as { type?: string; message: string };
  return { type: cause.type, message: cause.message };
}

describe('provisionInstallation with stub activities', () => {
  it('runs every step once, in order, and ends active with nothing undone', async () => {
    const { installationId, result, error } = await provision({});
    expect(error).toBeUndefined();
    expect(result).toEqual({ phase: 'active' });
    expect(stubs.calls(installationId)).toEqual(provisionSteps);
  });

  // Each step failing in turn: the undos registered before it run newest first.
  const cases: Array<{ step: string; undone: string[] }> = [
    { step: 'checkInstallationCredentials', undone: [] },
    { step: 'createInstallationRuntime', undone: ['destroyInstallationRuntime'] },
    {
      step: 'injectInstallationSecrets',
      undone: ['revokeInstallationSecrets', 'destroyInstallationRuntime'],
    },
    {
      step: 'openInstallationMeter',
      undone: ['closeInstallationMeter', 'revokeInstallationSecrets', 'destroyInstallationRuntime'],
    },
    {
      step: 'activateInstallation',
      undone: ['closeInstallationMeter', 'revokeInstallationSecrets', 'destroyInstallationRuntime'],
    },
  ];
  it.each(cases)(
    'when $step fails: undoes $undone, records the reason, fails with it',
    async ({ step, undone }) => {
      const reason = `injected: ${step} broke`;
      const { installationId, error, state } = await provision({ [step]: reason });
      const reached = provisionSteps.slice(0, provisionSteps.indexOf(step) + 1);
      expect(stubs.calls(installationId)).toEqual([...reached, ...undone, 'failInstallation']);
      expect(stubs.callsWithInput(installationId).at(-1)?.input).toEqual({ installationId, reason });
      expect(failureOf(error)).toEqual({ type: 'ProvisioningFailed', message: reason });
      expect(state).toEqual({ phase: 'failed', reason });
    },
  );

  it('runs the remaining undos when one fails, and names both failures in the reason', async () => {
    const { installationId, error } = await provision({
      openInstallationMeter: 'injected: meter broke',
      revokeInstallationSecrets: 'injected: secret store down',
    });
    expect(stubs.calls(installationId).slice(4)).toEqual([
      'closeInstallationMeter',
      'revokeInstallationSecrets',
      'destroyInstallationRuntime',
      'failInstallation',
    ]);
    const reason = 'injected: meter broke; cleaning up also failed: injected: secret store down';
    expect(failureOf(error)).toEqual({ type: 'ProvisioningFailed', message: reason });
    expect(stubs.callsWithInput(installationId).at(-1)?.input).toEqual({ installationId, reason });
  });
});

describe('upgradeInstallation with stub activities', () => {
  /** Runs an upgrade whose stubs fail as told; returns the installation, versions and how it ended. */
  async function upgrade(fail: Record<string, string>) {
    const input = { installationId: randomUUID(), fromVersionId: randomUUID(), toVersionId: randomUUID() };
    stubs.script(input.installationId, { fail });
    const handle = await stubs.client.workflow.start<typeof upgradeInstallation>('upgradeInstallation', {
      workflowId: upgradeWorkflowId(input.installationId, '2.0.0'),
      taskQueue: stubs.taskQueue,
      args: [input],
    });
    const error = await handle.result().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    return { input, error };
  }

  it('switches, then removes the previous version’s secrets and runtime', async () => {
    const { input, error } = await upgrade({});
    expect(error).toBeUndefined();
    const calls = stubs.callsWithInput(input.installationId);
    expect(calls.map((call) => [call.activity, call.input.versionId])).toEqual([
      ['checkInstallationCredentials', input.toVersionId],
      ['createInstallationRuntime', input.toVersionId],
      ['injectInstallationSecrets', input.toVersionId],
      ['switchInstallationVersion', undefined],
      ['revokeInstallationSecrets', input.fromVersionId],
      ['destroyInstallationRuntime', input.fromVersionId],
    ]);
  });

  const cases: Array<{ step: string; undone: string[] }> = [
    { step: 'checkInstallationCredentials', undone: [] },
    { step: 'createInstallationRuntime', undone: ['destroyInstallationRuntime'] },
    {
      step: 'injectInstallationSecrets',
      undone: ['revokeInstallationSecrets', 'destroyInstallationRuntime'],
    },
    {
      step: 'switchInstallationVersion',
      undone: ['revokeInstallationSecrets', 'destroyInstallationRuntime'],
    },
  ];
  it.each(cases)(
    'when $step fails: undoes $undone on the new version only, keeps the old',
    async ({ step, undone }) => {
      const { input, error } = await upgrade({ [step]: `injected: ${step} broke` });
      const steps = [
        'checkInstallationCredentials',
        'createInstallationRuntime',
        'injectInstallationSecrets',
        'switchInstallationVersion',
      ];
      const calls = stubs.callsWithInput(input.installationId);
      expect(calls.map((call) => call.activity)).toEqual([
        ...steps.slice(0, steps.indexOf(step) + 1),
        ...undone,
        'recordUpgradeFailure',
      ]);
      for (const call of calls.filter((c) => undone.includes(c.activity)))
        expect(call.input.versionId).toBe(input.toVersionId);
      const reason = `upgrade failed, still running the previous version: injected: ${step} broke`;
      expect(calls.at(-1)?.input).toEqual({ installationId: input.installationId, reason });
      expect(failureOf(error)).toEqual({ type: 'UpgradeFailed', message: reason });
    },
  );
});
