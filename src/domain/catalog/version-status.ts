import { conflict } from '../errors.js';
import type { VersionStatus } from './schemas.js';

// draft → in_review → published | rejected, then deprecated / suspended. A review that times out
// returns the version to draft; a publication undone by compensation does too.
const allowedTransitions: Record<VersionStatus, readonly VersionStatus[]> = {
  draft: ['in_review'],
  in_review: ['published', 'rejected', 'draft'],
  published: ['deprecated', 'suspended', 'draft'],
  deprecated: ['suspended'],
  rejected: [],
  suspended: [],
};

/** True when a version may move from one status to the other. */
export function canTransition(from: VersionStatus, to: VersionStatus): boolean {
  return allowedTransitions[from].includes(to);
}

/** Throws 409 unless the version may move from one status to the other. */
export function assertTransition(from: VersionStatus, to: VersionStatus): void {
  if (!canTransition(from, to)) {
    throw conflict(`a ${from} version cannot become ${to}`, { from, to });
  }
}

/** Statuses whose versions consumers can see on a listing. */
export const visibleVersionStatuses: readonly VersionStatus[] = ['published', 'deprecated'];
