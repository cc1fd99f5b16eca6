// The organisation's installations, with their status (refreshed while any is provisioning).
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api';
import { Empty, QueryView } from '../components/states';
import { when } from '../format';

const moving = new Set(['provisioning', 'deprovisioning']);

/** The installations page. */
export default function InstallationsPage() {
  const installations = useQuery({
    queryKey: ['installations'],
    queryFn: () => unwrap(api.GET('/v1/installations')),
    refetchInterval: (query) =>
      query.state.data?.installations.some((i) => moving.has(i.status)) ? 1500 : false,
  });
  return (
    <>
      <h1 tabIndex={-1}>Installations</h1>
      <QueryView query={installations} what="installations">
        {({ installations: list }) =>
          list.length === 0 ? (
            <Empty>
              No installations yet. <Link to="/">Find an agent in the catalog</Link> and install it.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Installations</caption>
                <thead>
                  <tr>
                    <th scope="col">Agent</th>
                    <th scope="col">Version</th>
                    <th scope="col">Status</th>
                    <th scope="col">Budget</th>
                    <th scope="col">Installed</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((i) => (
                    <tr key={i.id}>
                      <td>
                        <Link to={`/installations/${i.id}`}>{i.listingSlug}</Link>
                      </td>
                      <td>
                        {i.version}
                        {i.upgradeAvailable && (
                          <span className="badge">
                            {' '}
                            {i.upgradeAvailable.version} available ({i.upgradeAvailable.risk} risk)
                          </span>
                        )}
                      </td>
                      <td>
                        <span className={`badge ${i.status}`}>{i.status}</span>
                        {i.statusReason && <div className="small">{i.statusReason}</div>}
                      </td>
                      <td>{i.monthlyBudget ?? '—'}</td>
                      <td>{when(i.createdAt)}</td>
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
