// The console's repeated form blocks as one component each: a titled panel holding a form that runs
// one mutation (submit disabled while it runs, its refusal shown beneath), and a secret shown once
// with a copy button (API keys, an organisation's first key, webhook signing secrets).
import { useState, type ReactNode } from 'react';
import { useKeepFocusOnPage } from './keep-focus';
import { ErrorNotice } from './states';

/** A titled panel with a form that runs one mutation; fields are the children. */
export function FormPanel({
  id,
  title,
  submitLabel,
  mutation,
  errorTitle,
  children,
  after,
}: {
  id: string;
  title: string;
  submitLabel: string;
  mutation: { mutate: () => void; isPending: boolean; error: unknown };
  errorTitle: string;
  children: ReactNode;
  /** Shown below the form (e.g. what the mutation answered). */
  after?: ReactNode;
}) {
  return (
    <section aria-labelledby={id} className="panel">
      <h2 id={id}>{title}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          mutation.mutate();
        }}
      >
        {children}
        <button type="submit" className="primary" disabled={mutation.isPending}>
          {submitLabel}
        </button>
      </form>
      {mutation.error ? <ErrorNotice error={mutation.error} title={errorTitle} /> : null}
      {after}
    </section>
  );
}

/** A secret answered this once: shown with a copy button until the person says it is copied. */
export function SecretOnce({
  what,
  value,
  onDone,
}: {
  /** What it is, e.g. "The token of <strong>ci</strong>". */
  what: ReactNode;
  value: string;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  useKeepFocusOnPage(); // "I have copied it" removes this, with focus on it
  return (
    <div className="notice" role="alert" data-testid="secret-once">
      <p>{what}, shown this once:</p>
      <pre className="json" tabIndex={0} aria-label="Secret value">
        {value}
      </pre>
      <div className="row">
        <button
          type="button"
          onClick={() =>
            navigator.clipboard.writeText(value).then(
              () => setCopied('yes'),
              () => setCopied('failed'),
            )
          }
        >
          Copy
        </button>
        <button type="button" onClick={onDone}>
          I have copied it
        </button>
        <span aria-live="polite" className="small">
          {copied === 'yes' && 'Copied to the clipboard.'}
          {copied === 'failed' && 'The browser refused the clipboard: select the text and copy it.'}
        </span>
      </div>
    </div>
  );
}
