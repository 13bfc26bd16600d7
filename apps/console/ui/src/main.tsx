import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, session, setUnauthorizedHandler } from './api';
import { useRoute } from './hooks';
import { BacklogPage } from './pages/backlog';
import { MailboxPage } from './pages/mailbox';
import { MailboxesPage } from './pages/mailboxes';
import { OverviewPage } from './pages/overview';
import { ProfilePage, ProfilesPage } from './pages/profiles';

function Login({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    session.signIn(token.trim());
    try {
      await api('/api/overview');
      onSignedIn();
    } catch (e) {
      session.signOut();
      setError(e instanceof ApiFailure && e.status === 401 ? 'That admin token is not valid.' : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="card" aria-labelledby="login-title">
        <h1 id="login-title">Syncfleet console</h1>
        <p>Sign in with the admin token (ADMIN_TOKEN; `npm start` prints it).</p>
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

const NAV = [
  ['#/', 'Overview'],
  ['#/mailboxes', 'Mailboxes'],
  ['#/backlog', 'Backlog'],
  ['#/profiles', 'Profiles'],
] as const;

function Shell() {
  const [path, params] = useRoute();
  let page;
  const mailbox = path.match(/^\/mailboxes\/([0-9a-f-]{36})$/);
  const profile = path.match(/^\/profiles\/([0-9a-f-]{36})$/);
  if (mailbox) page = <MailboxPage id={mailbox[1]!} />;
  else if (profile) page = <ProfilePage id={profile[1]!} />;
  else if (path === '/mailboxes') page = <MailboxesPage params={params} />;
  else if (path === '/backlog') page = <BacklogPage />;
  else if (path === '/profiles') page = <ProfilesPage />;
  else page = <OverviewPage />;
  const current = `#${path}`;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Syncfleet</span>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <a
              href={href}
              aria-current={
                current === href || (href !== '#/' && current.startsWith(href)) ? 'page' : undefined
              }
            >
              {label}
            </a>
          ))}
        </nav>
        <a href="/queues" class="muted">
          Bull Board
        </a>
        <button
          type="button"
          class="link"
          onClick={() => {
            session.signOut();
            location.reload();
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(session.token() !== null);
  useEffect(() => setUnauthorizedHandler(() => (session.signOut(), setSignedIn(false))), []);
  return signedIn ? <Shell /> : <Login onSignedIn={() => setSignedIn(true)} />;
}

const root = document.getElementById('app')!;
root.textContent = ''; // the "Loading…" placeholder of index.html
render(<App />, root);
