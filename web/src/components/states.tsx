// Loading, error and empty states, the same on every page. Errors show the API's message, its code
// and the request id to quote.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api';

/** A polite "loading" line for screen readers and eyes alike. */
export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </p>
  );
}

/** An error as the person can act on it. */
export function ErrorNotice({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  const apiError = error instanceof ApiError ? error : null;
  return (
    <div className="notice error" role="alert">
      <strong>{title}</strong>
      <p>{apiError ? apiError.message : String(error)}</p>
      {apiError && (
        <p className="muted small">
          {apiError.status ? `${apiError.status} ${apiError.code}` : apiError.code}
          {apiError.requestId && (
            <>
              {' · request '}
              <code>{apiError.requestId}</code>
            </>
          )}
        </p>
      )}
      {apiError && Array.isArray(apiError.details) && (
        <ul className="small">
          {(apiError.details as { path?: string; message?: string }[]).map((detail, index) => (
            <li key={index}>
              {detail.path && <code>{detail.path}</code>} {detail.message ?? JSON.stringify(detail)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** What a page shows when there is nothing yet, with what to do next. */
export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/**
 * Renders a query's loading and error states, or its data. A query that is the whole page gives `back`:
 * its error is then the page itself (a heading, the notice, and a way back), never a dead end.
 */
export function QueryView<T>({
  query,
  what,
  back,
  children,
}: {
  query: { isPending: boolean; error: unknown; data: T | undefined };
  what?: string;
  back?: { to: string; label: string };
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading what={what ? `Loading ${what}` : 'Loading'} />;
  if (query.error && back)
    return (
      <>
        <h1 tabIndex={-1}>{what ? `Could not load ${what}` : 'Something went wrong'}</h1>
        <ErrorNotice error={query.error} title={what ? `Could not load ${what}` : undefined} />
        <p>
          <Link to={back.to}>{back.label}</Link>
        </p>
      </>
    );
  if (query.error)
    return <ErrorNotice error={query.error} title={what ? `Could not load ${what}` : undefined} />;
  return <>{children(query.data as T)}</>;
}
