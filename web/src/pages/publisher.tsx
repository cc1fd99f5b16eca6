// The publisher's own listings (every status), and creating a new one.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api';
import { useNotify } from '../components/notify';
import { Empty, ErrorNotice, Loading, QueryView } from '../components/states';
import { money, when } from '../format';

const DailyChart = lazy(() => import('../components/daily-chart'));

/** The "My listings" page. */
export default function PublisherPage() {
  const client = useQueryClient();
  const notify = useNotify();
  const navigate = useNavigate();
  const [form, setForm] = useState({ slug: '', name: '', category: '', tags: '', visibility: 'public' });
  const listings = useQuery({ queryKey: ['my-listings'], queryFn: () => unwrap(api.GET('/v1/listings')) });
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/listings', {
          body: {
            slug: form.slug.trim(),
            name: form.name.trim(),
            category: form.category.trim(),
            tags: form.tags
              .split(',')
              .map((tag) => tag.trim())
              .filter(Boolean),
            visibility: form.visibility as 'public',
          },
        }),
      ),
    onSuccess: (listing) => {
      notify(`Listing ${listing.name} created; now add its first version`);
      void client.invalidateQueries({ queryKey: ['my-listings'] });
      void navigate(`/publisher/${listing.id}`);
    },
  });
  const field = (name: keyof typeof form) => ({
    id: `listing-${name}`,
    value: form[name],
    onChange: (event: { target: { value: string } }) =>
      setForm((current) => ({ ...current, [name]: event.target.value })),
  });
  return (
    <>
      <h1 tabIndex={-1}>My listings</h1>
      <QueryView query={listings} what="your listings">
        {({ listings: list }) =>
          list.length === 0 ? (
            <Empty>You have not listed an agent yet: create one below.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Listing</th>
                    <th scope="col">Latest published</th>
                    <th scope="col">Visibility</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((listing) => (
                    <tr key={listing.id}>
                      <td>
                        <Link to={`/publisher/${listing.id}`}>{listing.name}</Link>{' '}
                        <span className="muted small">{listing.slug}</span>
                      </td>
                      <td>{listing.latestVersion ?? 'none yet'}</td>
                      <td>{listing.visibility}</td>
                      <td>{when(listing.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      <Payouts />
      <section aria-labelledby="new-listing" className="panel">
        <h2 id="new-listing">Create a listing</h2>
        <form
          className="grid"
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
          <label htmlFor="listing-name">Name</label>
          <input required {...field('name')} />
          <label htmlFor="listing-slug">Slug (its address)</label>
          <input
            required
            pattern="[a-z0-9][a-z0-9-]*"
            title="Lower-case letters, digits and dashes"
            {...field('slug')}
          />
          <label htmlFor="listing-category">Category</label>
          <input required {...field('category')} />
          <label htmlFor="listing-tags">Tags (comma-separated)</label>
          <input {...field('tags')} />
          <label htmlFor="listing-visibility">Visibility</label>
          <select {...field('visibility')}>
            <option value="public">public: everyone may find it</option>
            <option value="private">private: only your organisation</option>
          </select>
          <div>
            <button type="submit" className="primary" disabled={create.isPending}>
              Create listing
            </button>
          </div>
        </form>
        {create.error && <ErrorNotice error={create.error} title="Could not create the listing" />}
      </section>
    </>
  );
}

function Payouts() {
  const payouts = useQuery({ queryKey: ['payouts'], queryFn: () => unwrap(api.GET('/v1/payouts')) });
  return (
    <section aria-labelledby="payouts">
      <h2 id="payouts">Payouts</h2>
      <QueryView query={payouts} what="payouts">
        {({ payouts: list }) => {
          if (list.length === 0)
            return <Empty>No payouts yet: they come from final invoices of your listings' users.</Empty>;
          const byPeriod = new Map<string, { day: string; cost: number }>();
          for (const p of list) {
            const period = p.period.slice(0, 7);
            const entry = byPeriod.get(period) ?? { day: period, cost: 0 };
            entry.cost += Number(p.payout);
            byPeriod.set(period, entry);
          }
          const currency = list[0]?.currency ?? 'usd';
          return (
            <>
              <Suspense fallback={<Loading what="Drawing the chart" />}>
                <DailyChart
                  points={[...byPeriod.values()].sort((a, b) => a.day.localeCompare(b.day))}
                  currency={currency}
                  caption="Payout per month, all listings"
                />
              </Suspense>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Month</th>
                      <th scope="col">Listing</th>
                      <th scope="col">Gross</th>
                      <th scope="col">Platform fee</th>
                      <th scope="col">Payout</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((p) => (
                      <tr key={`${p.period}-${p.listingId}-${p.currency}`}>
                        <td>{p.period.slice(0, 7)}</td>
                        <td>{p.listingSlug}</td>
                        <td>{money(p.gross, p.currency)}</td>
                        <td>{money(p.platformFee, p.currency)}</td>
                        <td>{money(p.payout, p.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}
