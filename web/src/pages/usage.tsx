// Usage: cost and runs per day (a chart, with the same numbers in a table) and totals per listing.
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { api, unwrap } from '../api';
import { Empty, Loading, QueryView } from '../components/states';
import { daysAgo, duration, money } from '../format';

const DailyChart = lazy(() => import('../components/daily-chart'));

/** The usage page. */
export default function UsagePage() {
  const [days, setDays] = useState(30);
  const daily = useQuery({
    queryKey: ['usage', 'day', days],
    queryFn: () => unwrap(api.GET('/v1/usage', { params: { query: { from: daysAgo(days), by: 'day' } } })),
  });
  const perListing = useQuery({
    queryKey: ['usage', 'listing', days],
    queryFn: () =>
      unwrap(api.GET('/v1/usage', { params: { query: { from: daysAgo(days), by: 'listing' } } })),
  });
  return (
    <>
      <h1 tabIndex={-1}>Usage</h1>
      <label>
        Period{' '}
        <select value={days} onChange={(event) => setDays(Number(event.target.value))}>
          <option value={7}>Last 7 days</option>
          <option value={30}>Last 30 days</option>
          <option value={90}>Last 90 days</option>
        </select>
      </label>
      <section aria-labelledby="per-day">
        <h2 id="per-day">Per day</h2>
        <QueryView query={daily} what="usage per day">
          {({ usage }) => {
            if (usage.length === 0) return <Empty>No runs in this period.</Empty>;
            const byDay = new Map<string, { day: string; cost: number; runs: number }>();
            for (const row of usage) {
              const day = row.day ?? '';
              const entry = byDay.get(day) ?? { day, cost: 0, runs: 0 };
              entry.cost += Number(row.cost);
              entry.runs += row.invocations;
              byDay.set(day, entry);
            }
            const points = [...byDay.values()];
            const currency = usage[0]?.currency ?? 'usd';
            return (
              <>
                <Suspense fallback={<Loading what="Drawing the chart" />}>
                  <DailyChart points={points} currency={currency} />
                </Suspense>
                <details>
                  <summary>The numbers behind the chart</summary>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Day (UTC)</th>
                        <th scope="col">Runs</th>
                        <th scope="col">Cost</th>
                      </tr>
                    </thead>
                    <tbody>
                      {points.map((p) => (
                        <tr key={p.day}>
                          <td>{p.day}</td>
                          <td>{p.runs}</td>
                          <td>{money(p.cost, currency)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              </>
            );
          }}
        </QueryView>
      </section>
      <section aria-labelledby="per-listing">
        <h2 id="per-listing">Per listing</h2>
        <QueryView query={perListing} what="usage per listing">
          {({ usage }) =>
            usage.length === 0 ? (
              <Empty>No runs in this period.</Empty>
            ) : (
              <div className="table-wrap">
                <table data-testid="usage-per-listing">
                  <thead>
                    <tr>
                      <th scope="col">Listing</th>
                      <th scope="col">Runs</th>
                      <th scope="col">Tokens in / out</th>
                      <th scope="col">Average duration</th>
                      <th scope="col">Cost</th>
                      <th scope="col">
                        <abbr title="The part of the cost charged for the gateway's tools (models and APIs the agent called)">
                          Of which tools
                        </abbr>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {usage.map((row) => (
                      <tr key={`${row.listingId}-${row.currency}`}>
                        <td>{row.listingSlug}</td>
                        <td>{row.invocations}</td>
                        <td>
                          {row.tokensIn} / {row.tokensOut}
                        </td>
                        <td>{duration(row.averageDurationMs)}</td>
                        <td>{money(row.cost, row.currency)}</td>
                        <td>
                          {money(row.toolCost, row.currency)}
                          {row.toolTokens > 0 ? ` (${row.toolTokens} tokens)` : ''}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryView>
      </section>
    </>
  );
}
