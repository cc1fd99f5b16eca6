// The publish-review workflow on the run's dev server with stub activities: the review timing out
// (a one-second timeout), a rejection, and each compensation path: every step after approval failing
// in turn undoes the publication and the search entry, newest first, and fails with the reason. The
// whole-Bazaar tests (publish-review.test.ts) keep the happy path and one failure each.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  publishWorkflowId,
  reviewDecisionSignal,
  type publishReview,
  type PublishReviewState,
} from '../../../src/workflows/publish-review.js';
import { startStubWorker, type StubScript, type StubWorker } from '../../support/stub-worker.js';
import { waitFor } from '../../support/wait-for.js';

let stubs: StubWorker;
beforeAll(async () => {
  stubs = await startStubWorker([
    'checkVersion',
    'returnVersionToDraft',
    'rejectVersion',
    'publishVersion',
    'promoteLatestVersion',
    'revertPublication',
    'indexVersionForSearch',
    'unindexVersion',
  ]);
});
afterAll(() => stubs?.stop());

/** Starts a review of a new version whose stubs behave as told; checkVersion finds no problem unless told. */
async function startReview(script: StubScript, reviewTimeoutSeconds = 3600) {
  const versionId = randomUUID();
  const listingId = randomUUID();
  stubs.script(versionId, { ...script, returns: { checkVersion: [], ...script.returns } });
  stubs.alias(listingId, versionId); // promoteLatestVersion names only the listing
  const handle = await stubs.client.workflow.start<typeof publishReview>('publishReview', {
    workflowId: publishWorkflowId(versionId),
    taskQueue: stubs.taskQueue,
    args: [{ versionId, listingId, reviewTimeoutSeconds }],
  });
  return { versionId, listingId, handle };
}

/** Sends a decision once the review waits for one (as the API does after recording it). */
async function decide(handle: WorkflowHandle, decision: 'approve' | 'reject', reason: string | null = null) {
  await waitFor(
    async () => (await handle.query<PublishReviewState>('state')).phase === 'awaiting_review',
    'the review to await a decision',
  );
  await handle.signal(reviewDecisionSignal, { decision, reason, reviewerKeyId: 'reviewer-key' });
}

const outcome = (handle: WorkflowHandle) =>
  handle.result().then(
    (result: PublishReviewState) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );

function failureOf(error: unknown) {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as { type?: string; message: string };
  return { type: cause.type, message: cause.message };
}

describe('publishReview with stub activities', () => {
  it('publishes on approval: checks, indexes, publishes, promotes, and undoes nothing', async () => {
    const { versionId, handle } = await startReview({});
    await decide(handle, 'approve');
    expect(await outcome(handle)).toEqual({
      result: { phase: 'published', decision: 'approve' },
      error: undefined,
    });
    expect(stubs.calls(versionId)).toEqual([
      'checkVersion',
      'indexVersionForSearch',
      'publishVersion',
      'promoteLatestVersion',
    ]);
  });

  it('returns the version to draft when no reviewer decides in time, and removes its search entry', async () => {
    const { versionId, listingId, handle } = await startReview({}, 1);
    const reason = 'no review decision within 1 second(s); submit again when ready';
    expect(await outcome(handle)).toEqual({
      result: { phase: 'returned_to_draft', reason },
      error: undefined,
    });
    expect(stubs.callsWithInput(versionId)).toEqual([
      { activity: 'checkVersion', input: { versionId } },
      { activity: 'indexVersionForSearch', input: { versionId } },
      { activity: 'returnVersionToDraft', input: { versionId, reason } },
      { activity: 'unindexVersion', input: { versionId, listingId } },
    ]);
  });

  it('fails visibly when the search entry cannot be removed after a timeout', async () => {
    const { versionId, handle } = await startReview({ fail: { unindexVersion: 'injected: index down' } }, 1);
    const { error } = await outcome(handle);
    expect(failureOf(error)).toEqual({
      type: 'CleanupFailed',
      message: 'cleaning up search data failed: injected: index down',
    });
    expect(stubs.calls(versionId).slice(-2)).toEqual(['returnVersionToDraft', 'unindexVersion']);
  });

  it('returns a version that fails the automated checks to draft, before indexing anything', async () => {
    const { versionId, handle } = await startReview({ returns: { checkVersion: ['no README', 'bad icon'] } });
    const reason = 'automated checks failed: no README; bad icon';
    expect(await outcome(handle)).toEqual({
      result: { phase: 'returned_to_draft', reason },
      error: undefined,
    });
    expect(stubs.calls(versionId)).toEqual(['checkVersion', 'returnVersionToDraft']);
  });

  it('records a rejection with its reason and removes the search entry', async () => {
    const { versionId, handle } = await startReview({});
    await decide(handle, 'reject', 'too vague');
    expect(await outcome(handle)).toEqual({
      result: { phase: 'rejected', reason: 'too vague', decision: 'reject' },
      error: undefined,
    });
    expect(stubs.callsWithInput(versionId).slice(2)).toEqual([
      { activity: 'rejectVersion', input: { versionId, reason: 'too vague', reviewerKeyId: 'reviewer-key' } },
      { activity: 'unindexVersion', input: expect.objectContaining({ versionId }) },
    ]);
  });

  // Each step after approval failing in turn: the publication is reverted (its undo is registered
  // before publishVersion, whose outcome may be unclear), then the search entry removed.
  it.each(['publishVersion', 'promoteLatestVersion'])(
    'when %s fails: reverts the publication, then unindexes, and fails with the reason',
    async (step) => {
      const { versionId, listingId, handle } = await startReview({
        fail: { [step]: `injected: ${step} broke` },
      });
      await decide(handle, 'approve');
      const { error } = await outcome(handle);
      expect(failureOf(error)).toEqual({
        type: 'PublicationFailed',
        message: `publication failed: injected: ${step} broke`,
      });
      const steps = ['publishVersion', 'promoteLatestVersion'];
      expect(stubs.callsWithInput(versionId).slice(2)).toEqual([
        ...steps
          .slice(0, steps.indexOf(step) + 1)
          .map((activity) => ({ activity, input: expect.anything() })),
        {
          activity: 'revertPublication',
          input: { versionId, listingId, reason: 'publication failed and was rolled back' },
        },
        { activity: 'unindexVersion', input: { versionId, listingId } },
      ]);
      expect(await handle.query<PublishReviewState>('state')).toEqual({
        phase: 'failed',
        reason: `publication failed: injected: ${step} broke`,
        decision: 'approve',
      });
    },
  );

  it('still unindexes when reverting the publication fails, and names both failures', async () => {
    const { versionId, handle } = await startReview({
      fail: { publishVersion: 'injected: publish broke', revertPublication: 'injected: revert broke' },
    });
    await decide(handle, 'approve');
    const { error } = await outcome(handle);
    expect(failureOf(error)).toEqual({
      type: 'PublicationFailed',
      message: 'publication failed: injected: publish broke; cleaning up also failed: injected: revert broke',
    });
    expect(stubs.calls(versionId).slice(-2)).toEqual(['revertPublication', 'unindexVersion']);
  });
});
