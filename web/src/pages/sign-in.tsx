// Sign in by pasting an API key once: it is exchanged for an HttpOnly session cookie and not kept.
import { useState } from 'react';
import { ErrorNotice } from '../components/states';
import { useSignIn } from '../session';

/** The sign-in page. */
export function SignInPage() {
  const signIn = useSignIn();
  const [key, setKey] = useState('');
  return (
    <main id="main" className="page narrow">
      <h1>Sign in to Bazaar</h1>
      <p>
        Paste an API key of your organisation (or a platform key). The console exchanges it for a session that
        lasts until you sign out, it expires, or the key is revoked; the key itself is not stored in the
        browser.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          signIn.mutate(key.trim(), { onSuccess: () => setKey('') });
        }}
      >
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={key}
          onChange={(event) => setKey(event.target.value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" className="muted small">
          Starts with <code>bzr_key_</code>; a local admin token is in <code>.data/admin-token</code>.
        </p>
        <button type="submit" className="primary" disabled={signIn.isPending || !key.trim()}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {signIn.error && <ErrorNotice error={signIn.error} title="Could not sign in" />}
    </main>
  );
}
