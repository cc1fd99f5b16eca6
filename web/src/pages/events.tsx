// The organisation's event log (what webhooks deliver), newest first, a page at a time.
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api';
import { JsonView } from '../components/json-view';
import { Empty, ErrorNotice, Loading } from '../components/states';
import { when } from '../format';

/** The events page (organisation admins). */
export default function EventsPage() {
  const events = useInfiniteQuery({
    queryKey: ['events'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/events', {
          params: { query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const list = events.data?.pages.flatMap((page) => page.events) ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Events</h1>
      <p className="muted">
        What happened to your organisation&apos;s listings, installations, runs and invoices.
      </p>
      {events.isPending && <Loading what="Loading events" />}
      {events.error && <ErrorNotice error={events.error} title="Could not load events" />}
      {events.data && list.length === 0 && <Empty>No events yet.</Empty>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Data</th>
              </tr>
            </thead>
            <tbody>
              {list.map((event) => (
                <tr key={event.id}>
                  <td>{when(event.occurredAt)}</td>
                  <td>
                    <code>{event.type}</code>
                  </td>
                  <td>
                    <details>
                      <summary className="small">{Object.keys(event.data).join(', ')}</summary>
                      <JsonView value={event.data} label={`Data of ${event.type}`} />
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {events.hasNextPage && (
        <button
          type="button"
          onClick={() => void events.fetchNextPage()}
          disabled={events.isFetchingNextPage}
        >
          {events.isFetchingNextPage ? 'Loading…' : 'Older events'}
        </button>
      )}
    </>
  );
}
