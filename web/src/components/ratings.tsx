// A listing's ratings: how many give each number of stars, the reviews (plain text, never markup), the
// organisation's own rating (offered only when it may rate, else the API's reason), the publisher's
// one reply per rating, and a platform admin hiding a rating with a reason.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api';
import { when } from '../format';
import { isOrgAdmin, type Me } from '../session';
import { ConfirmButton } from './confirm';
import { useNotify } from './notify';
import { Empty, ErrorNotice, Loading, QueryView } from './states';

type Listing = Schemas['ListingWithVersions'];
type RatingsPage = Awaited<ReturnType<typeof fetchRatings>>;
type Rating = RatingsPage['ratings'][number];

const fetchRatings = (listingId: string, cursor?: string) =>
  unwrap(
    api.GET('/v1/listings/{id}/ratings', {
      params: { path: { id: listingId }, query: { limit: 10, ...(cursor ? { cursor } : {}) } },
    }),
  );

/** Invalidates what a rating change moves: the list, the own rating and the listing's average. */
function useRefreshRatings(listing: Listing) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ['ratings', listing.id] }),
      client.invalidateQueries({ queryKey: ['rating-mine', listing.id] }),
      client.invalidateQueries({ queryKey: ['listing'] }),
    ]);
}

/** "★★★★☆", read out as "4 of 5 stars". */
function Stars({ stars }: { stars: number }) {
  return (
    <span className="stars" role="img" aria-label={`${stars} of 5 stars`}>
      {'★'.repeat(stars)}
      <span className="stars-off">{'★'.repeat(5 - stars)}</span>
    </span>
  );
}

/** The ratings section of a listing page. */
export function RatingsSection({ listing, me }: { listing: Listing; me: Me }) {
  const ratings = useInfiniteQuery({
    queryKey: ['ratings', listing.id],
    queryFn: ({ pageParam }) => fetchRatings(listing.id, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const isPublisher = me.kind === 'org' && me.orgId === listing.orgId;
  return (
    <section aria-labelledby="reviews" data-testid="reviews">
      <h2 id="reviews">Ratings and reviews</h2>
      <QueryView query={{ ...ratings, data: ratings.data?.pages }} what="the ratings">
        {(pages) => {
          const list = pages.flatMap((page) => page.ratings);
          return (
            <>
              <Histogram histogram={pages[0]?.histogram ?? []} />
              {me.kind === 'org' && !isPublisher && <MyRating listing={listing} />}
              {list.length === 0 ? (
                <Empty>No reviews yet.</Empty>
              ) : (
                <ul className="plain reviews">
                  {list.map((rating) => (
                    <Review
                      key={rating.id}
                      listing={listing}
                      rating={rating}
                      canReply={isPublisher && isOrgAdmin(me)}
                      canHide={me.role === 'platform-admin'}
                    />
                  ))}
                </ul>
              )}
              {ratings.hasNextPage && (
                <button
                  type="button"
                  onClick={() => void ratings.fetchNextPage()}
                  disabled={ratings.isFetchingNextPage}
                >
                  {ratings.isFetchingNextPage ? 'Loading…' : 'Show more reviews'}
                </button>
              )}
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

// The average is computed from the same counts as the bars, so the two always agree.
function Histogram({ histogram }: { histogram: Array<{ stars: number; count: number }> }) {
  const total = histogram.reduce((sum, bar) => sum + bar.count, 0);
  const count = total;
  const average = total ? histogram.reduce((sum, bar) => sum + bar.stars * bar.count, 0) / total : null;
  return (
    <div className="histogram" data-testid="rating-histogram">
      <p>
        {average === null ? (
          <strong>No ratings yet</strong>
        ) : (
          <>
            <strong>{average.toFixed(1)} of 5</strong>{' '}
            <span className="muted">
              ({count} {count === 1 ? 'rating' : 'ratings'})
            </span>
          </>
        )}
      </p>
      <table>
        <caption className="visually-hidden">Ratings per number of stars</caption>
        <tbody>
          {histogram.map((bar) => (
            <tr key={bar.stars}>
              <th scope="row">
                {bar.stars} {bar.stars === 1 ? 'star' : 'stars'}
              </th>
              <td className="bar-cell" aria-hidden="true">
                <span className="bar">
                  <span style={{ width: `${total ? (bar.count / total) * 100 : 0}%` }} />
                </span>
              </td>
              <td data-testid={`stars-${bar.stars}`}>{bar.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Review({
  listing,
  rating,
  canReply,
  canHide,
}: {
  listing: Listing;
  rating: Rating;
  canReply: boolean;
  canHide: boolean;
}) {
  return (
    <li className="review" data-testid={`review-${rating.id}`}>
      <p>
        <Stars stars={rating.stars} /> {rating.title && <strong>{rating.title}</strong>}
      </p>
      {/* Plain text as written: React escapes it, and line breaks are kept by CSS. */}
      {rating.text && <p className="plain-text">{rating.text}</p>}
      <p className="muted small">
        {rating.organizationName} · version {rating.version} · {when(rating.createdAt)}
        {rating.updatedAt !== rating.createdAt && ` · edited ${when(rating.updatedAt)}`}
      </p>
      {rating.reply && (
        <div className="reply">
          <p className="small">
            <strong>Publisher’s reply</strong> <span className="muted">{when(rating.reply.repliedAt)}</span>
          </p>
          <p className="plain-text">{rating.reply.text}</p>
        </div>
      )}
      <div className="row">
        {canReply && <ReplyForm listing={listing} rating={rating} />}
        {canHide && <HideButton listing={listing} rating={rating} />}
      </div>
    </li>
  );
}

function ReplyForm({ listing, rating }: { listing: Listing; rating: Rating }) {
  const notify = useNotify();
  const refresh = useRefreshRatings(listing);
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(rating.reply?.text ?? '');
  const reply = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/listings/{id}/ratings/{ratingId}/reply', {
          params: { path: { id: listing.id, ratingId: rating.id } },
          body: { text: text.trim() },
        }),
      ),
    onSuccess: () => {
      notify(rating.reply ? 'Reply updated' : 'Reply published');
      setOpen(false);
      void refresh();
    },
  });
  const label = rating.reply ? 'Edit reply' : 'Reply';
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {label}
        <span className="visually-hidden"> to {rating.organizationName}</span>
      </button>
    );
  }
  const id = `reply-${rating.id}`;
  return (
    <form
      className="reply-form"
      onSubmit={(event) => {
        event.preventDefault();
        reply.mutate();
      }}
    >
      <label htmlFor={id}>Your public reply to {rating.organizationName} (plain text)</label>
      <textarea
        id={id}
        rows={3}
        required
        maxLength={4000}
        value={text}
        onChange={(event) => setText(event.target.value)}
        autoFocus
      />
      <div className="row">
        <button type="submit" className="primary" disabled={reply.isPending || !text.trim()}>
          {rating.reply ? 'Save reply' : 'Publish reply'}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      {reply.error && <ErrorNotice error={reply.error} title="Could not reply" />}
    </form>
  );
}

function HideButton({ listing, rating }: { listing: Listing; rating: Rating }) {
  const notify = useNotify();
  const refresh = useRefreshRatings(listing);
  const [reason, setReason] = useState('');
  const hide = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/platform/ratings/{ratingId}/hide', {
          params: { path: { ratingId: rating.id } },
          body: { reason: reason.trim() },
        }),
      ),
    onSuccess: () => {
      notify(`Rating by ${rating.organizationName} hidden: it no longer counts in the average`);
      void refresh();
    },
  });
  const id = `hide-${rating.id}`;
  return (
    <>
      <ConfirmButton
        label={`Hide rating by ${rating.organizationName}`}
        question={`Hide this rating by ${rating.organizationName}? It leaves the list and the average; the organisation's audit trail records why.`}
        confirmLabel="Hide"
        danger
        disabled={hide.isPending}
        onConfirm={() => hide.mutate()}
      >
        <label htmlFor={id}>Reason</label>
        <input id={id} required value={reason} onChange={(event) => setReason(event.target.value)} />
      </ConfirmButton>
      {hide.error && <ErrorNotice error={hide.error} title="Could not hide the rating" />}
    </>
  );
}

function MyRating({ listing }: { listing: Listing }) {
  const mine = useQuery({
    queryKey: ['rating-mine', listing.id],
    queryFn: () =>
      unwrap(api.GET('/v1/listings/{id}/ratings/mine', { params: { path: { id: listing.id } } })),
  });
  if (mine.isPending) return <Loading what="Checking whether you may rate it" />;
  if (mine.error) return <ErrorNotice error={mine.error} title="Could not read your rating" />;
  const { rating, canRate, reason } = mine.data;
  return (
    <div className="panel" data-testid="my-rating">
      <h3>Your organisation’s rating</h3>
      {rating?.hidden && (
        <p className="notice">A platform admin hid this rating: it is not shown and does not count.</p>
      )}
      {canRate ? (
        <RateForm listing={listing} rating={rating} />
      ) : (
        <>
          {rating && (
            <p>
              <Stars stars={rating.stars} /> {rating.title}
            </p>
          )}
          <p className="muted" data-testid="rating-refusal">
            You cannot rate it now: {reason}.
          </p>
        </>
      )}
      {rating && <DeleteRating listing={listing} />}
    </div>
  );
}

function RateForm({ listing, rating }: { listing: Listing; rating: Rating | null }) {
  const notify = useNotify();
  const refresh = useRefreshRatings(listing);
  const [stars, setStars] = useState(rating?.stars ?? 0);
  const [title, setTitle] = useState(rating?.title ?? '');
  const [text, setText] = useState(rating?.text ?? '');
  const [editing, setEditing] = useState(!rating);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT('/v1/listings/{id}/ratings/mine', {
          params: { path: { id: listing.id } },
          body: {
            stars,
            ...(title.trim() ? { title: title.trim() } : {}),
            ...(text.trim() ? { text: text.trim() } : {}),
          },
        }),
      ),
    onSuccess: () => {
      notify(rating ? 'Your rating was updated' : 'Thank you: your rating is published');
      setEditing(false);
      void refresh();
    },
  });
  if (rating && !editing) {
    return (
      <>
        <p>
          <Stars stars={rating.stars} /> {rating.title && <strong>{rating.title}</strong>}
        </p>
        {rating.text && <p className="plain-text">{rating.text}</p>}
        <button type="button" onClick={() => setEditing(true)}>
          Edit your rating
        </button>
      </>
    );
  }
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <fieldset className="star-picker">
        <legend>Stars</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input
              type="radio"
              name={`stars-${listing.id}`}
              value={n}
              checked={stars === n}
              onChange={() => setStars(n)}
              required
            />
            {n} {n === 1 ? 'star' : 'stars'}
          </label>
        ))}
      </fieldset>
      <label htmlFor="rating-title">Title (optional)</label>
      <input
        id="rating-title"
        maxLength={200}
        value={title}
        onChange={(event) => setTitle(event.target.value)}
      />
      <label htmlFor="rating-text">Review (optional, plain text)</label>
      <textarea
        id="rating-text"
        rows={4}
        maxLength={4000}
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
      <div className="row">
        <button type="submit" className="primary" disabled={save.isPending || stars === 0}>
          {rating ? 'Save rating' : 'Publish rating'}
        </button>
        {rating && (
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        )}
      </div>
      {save.error && <ErrorNotice error={save.error} title="The rating was refused" />}
    </form>
  );
}

function DeleteRating({ listing }: { listing: Listing }) {
  const notify = useNotify();
  const refresh = useRefreshRatings(listing);
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE('/v1/listings/{id}/ratings/mine', { params: { path: { id: listing.id } } })),
    onSuccess: () => {
      notify('Your rating was deleted');
      void refresh();
    },
  });
  return (
    <>
      <ConfirmButton
        label="Delete your rating"
        question="Delete your organisation's rating of this agent? It leaves the list and the average."
        confirmLabel="Delete"
        danger
        disabled={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
      {remove.error && <ErrorNotice error={remove.error} title="Could not delete the rating" />}
    </>
  );
}
