import type { OrgPrincipal } from '../domain/auth/principal.js';
import { AppError } from '../domain/errors.js';
import { resolvePublisherEvents, type PublisherUsageEvent } from '../domain/metering/publisher-usage.js';
import type { UsageEventBatcher } from '../domain/metering/usage-event-batcher.js';
import type { ServiceDeps } from './deps.js';

/**
 * Records the usage a publisher's remote agent reports for installations of its listings: all or
 * nothing (422 naming every refused event), each event once (a repeated id counts as a duplicate).
 */
export async function reportPublisherUsage(
  deps: ServiceDeps & { usage: UsageEventBatcher },
  principal: OrgPrincipal,
  input: { events: PublisherUsageEvent[] },
): Promise<{ accepted: number; duplicates: number }> {
  const { events, refused } = await resolvePublisherEvents(deps.db, {
    publisherOrgId: principal.orgId,
    events: input.events,
  });
  if (refused.length > 0) {
    throw new AppError('rule_violation', `${refused.length} event(s) refused; none were recorded`, {
      refused,
    });
  }
  const fresh = await deps.usage.record(events);
  return { accepted: fresh.size, duplicates: events.length - fresh.size };
}
