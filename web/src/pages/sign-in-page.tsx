// Sign-in against POST /v1/auth/login (CONTRACTS.md). Wrong email and wrong password get the same
// words from the server; a 429 says when to try again.
import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/client';
import { describeError } from '../components/notices';
import { useSession } from '../session';

export function SignInPage({ notice }: { notice?: string | undefined }) {
  const { signIn } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(email.trim(), password);
    } catch (err) {
      setPassword('');
      if (err instanceof ApiError && err.status === 401)
        setError('That email and password do not match an account.');
      else if (err instanceof ApiError && err.status === 404)
        setError('This control plane does not offer browser sign-in yet. Use the CLI (tameflare --help).');
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="sign-in-card" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <div className="brand brand-large">
          <img src="/favicon.svg" alt="" width="32" height="32" />
          TameFlare
        </div>
        <h1 id="sign-in-title">Sign in</h1>
        {notice && !error && (
          <p className="note" role="status">
            {notice}
          </p>
        )}
        {error && (
          <p className="note note-error" role="alert">
            {error}
          </p>
        )}
        <label className="field">
          <span>Email</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            // biome-ignore lint/a11y/noAutofocus: the only task on this page
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          Forgot your password? An owner can set a new one with <code>tameflare user passwd</code>.
        </p>
      </form>
    </main>
  );
}
