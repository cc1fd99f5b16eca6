// The organisation's audit trail: who did what, when and why (newest first on screen).
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api';
import { Empty, QueryView } from '../components/states';
import { daysAgo, when } from '../format';

/** The audit page (organisation admins). */
export default function AuditPage() {
  const [days, setDays] = useState(30);
  const audit = useQuery({
    queryKey: ['audit', days],
    queryFn: () => unwrap(api.GET('/v1/audit', { params: { query: { from: daysAgo(days) } } })),
  });
  return (
    <>
      <h1 tabIndex={-1}>Audit trail</h1>
      <label>
        Period{' '}
        <select value={days} onChange={(event) => setDays(Number(event.target.value))}>
          <option value={1}>Last day</option>
          <option value={30}>Last 30 days</option>
          <option value={365}>Last year</option>
        </select>
      </label>
      <QueryView query={audit} what="the audit trail">
        {({ events }) =>
          events.length === 0 ? (
            <Empty>Nothing recorded in this period.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Action</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Who</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {[...events].reverse().map((event) => (
                    <tr key={event.id}>
                      <td>{when(event.createdAt)}</td>
                      <td>
                        <code>{event.action}</code>
                      </td>
                      <td className="small">
                        {event.subjectType} {event.subjectId}
                      </td>
                      <td className="small">
                        {event.actorKeyId ?? 'Bazaar'} {event.actorRole && `(${event.actorRole})`}
                      </td>
                      <td>{event.reason ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </>
  );
}
