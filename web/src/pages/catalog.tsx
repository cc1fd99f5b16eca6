// The catalog: describe a problem, results appear as you type (debounced), narrowed by filters.
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api';
import { Empty, ErrorNotice } from '../components/states';

const pricingModels = [
  ['', 'Any pricing'],
  ['free', 'Free'],
  ['usage_based', 'Per use'],
  ['subscription', 'Subscription'],
  ['one_time', 'One-time'],
] as const;

/** A value that settles `delayMs` after its last change. */
function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}

/** The catalog page. */
export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const category = params.get('category') ?? '';
  const pricingModel = params.get('pricingModel') ?? '';
  const tags = params.get('tags') ?? '';
  const minRating = params.get('minRating') ?? '';
  // Short: the search API answers in ~30-60 ms, so a longer pause before asking was most of the wait
  // (bench/console.bench.ts); a request the next keystroke supersedes is aborted, and only a burst of
  // keys faster than 30 ms apart (a paste, auto-repeat) is folded into one request.
  const q = useDebounced(text.trim(), 30);

  // Keep the query in the address, so a search can be shared and survives a reload.
  useEffect(() => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (q) next.set('q', q);
        else next.delete('q');
        return next;
      },
      { replace: true },
    );
  }, [q, setParams]);

  const setFilter = (name: string, value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });

  const search = useInfiniteQuery({
    queryKey: ['search', q, category, pricingModel, tags, minRating],
    enabled: q.length > 0,
    placeholderData: keepPreviousData,
    initialPageParam: undefined as string | undefined,
    // A query superseded by the next keystroke is aborted (TanStack Query's signal), so the browser
    // does not wait on answers nobody will see.
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET('/v1/search', {
          signal,
          params: {
            query: {
              q,
              limit: 24,
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(category ? { category } : {}),
              ...(pricingModel ? { pricingModel: pricingModel as 'free' } : {}),
              ...(tags ? { tags } : {}),
              ...(minRating ? { minRating: Number(minRating) } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  const results = search.data?.pages.flatMap((page) => page.results) ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Find an agent</h1>
      <form role="search" className="search" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="catalog-q">Describe the problem you want solved</label>
        <input
          id="catalog-q"
          type="search"
          placeholder="e.g. decide whether a customer's refund request fits our policy"
          value={text}
          onChange={(event) => setText(event.target.value)}
          autoFocus
        />
        <fieldset className="filters">
          <legend className="visually-hidden">Filters</legend>
          <label>
            Category
            <input value={category} onChange={(event) => setFilter('category', event.target.value)} />
          </label>
          <label>
            Pricing
            <select value={pricingModel} onChange={(event) => setFilter('pricingModel', event.target.value)}>
              {pricingModels.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Tags (comma-separated)
            <input value={tags} onChange={(event) => setFilter('tags', event.target.value)} />
          </label>
          <label>
            Minimum rating
            <select value={minRating} onChange={(event) => setFilter('minRating', event.target.value)}>
              <option value="">Any</option>
              {[4, 3, 2, 1].map((stars) => (
                <option key={stars} value={stars}>
                  {stars}+ stars
                </option>
              ))}
            </select>
          </label>
        </fieldset>
      </form>
      <div
        aria-live="polite"
        aria-busy={search.isFetching}
        data-settled-query={q && search.data && !search.isPlaceholderData ? q : undefined}
      >
        {!q && (
          <Empty>
            Type what you need: the catalog searches descriptions, tags and example tasks by meaning.
          </Empty>
        )}
        {q && search.isPending && <p className="muted">Searching…</p>}
        {q && search.error && <ErrorNotice error={search.error} title="Search failed" />}
        {q && search.data && (
          <>
            <p className="count" data-testid="result-count">
              {results.length === 0
                ? 'No agents match'
                : `${results.length}${search.hasNextPage ? '+' : ''} ${results.length === 1 ? 'agent' : 'agents'} found`}
            </p>
            {results.length === 0 && <Empty>Try other words, or fewer filters.</Empty>}
            <ul className="cards">
              {results.map(({ listing, score }) => (
                <li key={listing.id} className="card">
                  <h2>
                    <Link to={`/listings/${listing.slug}`}>{listing.name}</Link>
                  </h2>
                  <p>{listing.description}</p>
                  <p className="muted small">
                    {listing.category} · {listing.pricingModel.replace('_', ' ')} · v{listing.latestVersion}
                    {listing.rating !== null && ` · ★ ${listing.rating.toFixed(1)}`}
                    <span className="visually-hidden"> · relevance {score.toFixed(2)}</span>
                  </p>
                  {listing.tags.length > 0 && (
                    <ul className="tags" aria-label="Tags">
                      {listing.tags.map((tag) => (
                        <li key={tag}>{tag}</li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
            {search.hasNextPage && (
              <button
                type="button"
                onClick={() => void search.fetchNextPage()}
                disabled={search.isFetchingNextPage}
              >
                {search.isFetchingNextPage ? 'Loading…' : 'Show more agents'}
              </button>
            )}
          </>
        )}
      </div>
    </>
  );
}
