// Follows a publish-review workflow (`publish:<versionId>`) until it ends, printing each new phase.
import type { Context } from './context.js';
import { sleep, unwrap } from './context.js';

/** How a review ended, or 'timeout' when it was still running at the deadline. */
export interface ReviewOutcome {
  phase: string;
  reason?: string;
  workflowStatus: string;
}

interface ReviewState {
  phase?: string;
  reason?: string;
}

const words: Record<string, string> = {
  checking: 'automated checks running',
  awaiting_review: 'waiting for a reviewer',
  publishing: 'approved; publishing',
  published: 'published',
  rejected: 'rejected',
  returned_to_draft: 'returned to draft',
  failed: 'publication failed',
};

/** Polls the workflow's status and state until it closes or `timeoutSeconds` pass. */
export async function followReview(
  ctx: Context,
  workflowId: string,
  timeoutSeconds: number,
): Promise<ReviewOutcome> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let shown = '';
  for (;;) {
    const status = await unwrap(
      ctx.client().GET('/v1/workflows/{workflowId}', { params: { path: { workflowId } } }),
    );
    const state = ((status.closeTime ? status.result : status.state) ?? status.state ?? {}) as ReviewState;
    const phase = state.phase ?? (status.status === 'RUNNING' ? 'checking' : 'failed');
    if (phase !== shown) {
      ctx.progress(`review: ${words[phase] ?? phase}${state.reason ? ` (${state.reason})` : ''}`);
      shown = phase;
    }
    if (status.closeTime) {
      return { phase, reason: state.reason ?? status.failure, workflowStatus: status.status };
    }
    if (Date.now() >= deadline) return { phase: 'timeout', workflowStatus: status.status };
    await sleep(1000);
  }
}
