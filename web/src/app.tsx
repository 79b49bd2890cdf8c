// The shell: sign-in until a session exists, then navigation, a header with the caller and the theme,
// and the page for the current path. Each page fetches its own data from /v1.
import { lazy, type ReactNode, Suspense, useEffect, useState } from 'react';
import { ErrorNote, Loading } from './components/notices';
import { NAV } from './nav';
import { AgentsPage } from './pages/agents-page';
import { ApprovalsPage } from './pages/approvals-page';
import { AuditPage } from './pages/audit-page';
import { ConnectorsPage } from './pages/connectors-page';
import { NotFoundPage } from './pages/not-found-page';
import { OverviewPage } from './pages/overview-page';
import { PermissionsPage } from './pages/permissions-page';
import { SettingsPage } from './pages/settings-page';
import { SignInPage } from './pages/sign-in-page';
import { TokensPage } from './pages/tokens-page';
import { TrafficPage } from './pages/traffic-page';
import { UsersPage } from './pages/users-page';
import { Link, useLocation } from './router';
import { roleAtLeast, useMe, useSession } from './session';
import { applyTheme, storedTheme, type ThemeChoice } from './theme';

export function App() {
  const { state, retry } = useSession();
  if (state.status === 'loading')
    return (
      <Centered>
        <Loading what="the dashboard" />
      </Centered>
    );
  if (state.status === 'error')
    return (
      <Centered>
        <ErrorNote
          error={new Error(`The dashboard could not reach the control plane: ${state.message}`)}
          action={
            <button type="button" className="btn" onClick={retry}>
              Try again
            </button>
          }
        />
      </Centered>
    );
  if (state.status === 'signed-out') return <SignInPage notice={state.notice} />;
  return <Shell />;
}

function Centered({ children }: { children: ReactNode }) {
  return <main className="centered">{children}</main>;
}

// The policy editor brings a YAML library: loaded only when the page is opened.
const PoliciesPage = lazy(() => import('./pages/policies-page').then((m) => ({ default: m.PoliciesPage })));

const PAGES: Record<string, () => ReactNode> = {
  '/': () => <OverviewPage />,
  '/traffic': () => <TrafficPage />,
  '/approvals': () => <ApprovalsPage />,
  '/audit': () => <AuditPage />,
  '/agents': () => <AgentsPage />,
  '/connectors': () => <ConnectorsPage />,
  '/permissions': () => <PermissionsPage />,
  '/policies': () => <PoliciesPage />,
  '/settings': () => <SettingsPage />,
  '/users': () => <UsersPage />,
  '/tokens': () => <TokensPage />,
};

function Shell() {
  const { path } = useLocation();
  const me = useMe();
  const [menuOpen, setMenuOpen] = useState(false);
  const item = NAV.flatMap((g) => g.items).find((i) => i.path === path);

  useEffect(() => {
    setMenuOpen(false);
    document.title = item ? `${item.label} · TameFlare` : 'TameFlare';
  }, [item]);

  const page: ReactNode = PAGES[path]?.() ?? <NotFoundPage />;

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="btn btn-ghost menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="sidenav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width="22" height="22" />
          <span className="brand-name">TameFlare</span>
        </Link>
        <div className="topbar-end">
          <ThemeSelect />
          <UserMenu />
        </div>
      </header>
      <nav id="sidenav" className={menuOpen ? 'sidenav open' : 'sidenav'} aria-label="Main">
        {NAV.map((g) => (
          <div key={g.group} className="nav-group">
            <h2 className="nav-heading">{g.group}</h2>
            <ul>
              {g.items
                .filter((i) => !i.needs || roleAtLeast(me.role, i.needs))
                .map((i) => (
                  <li key={i.path}>
                    <Link
                      to={i.path}
                      aria-current={i.path === path ? 'page' : undefined}
                      className="nav-link"
                    >
                      {i.label}
                    </Link>
                  </li>
                ))}
            </ul>
          </div>
        ))}
      </nav>
      <main id="main" tabIndex={-1} className="content">
        <Suspense fallback={<Loading what="the page" />}>{page}</Suspense>
      </main>
    </div>
  );
}

function ThemeSelect() {
  const [theme, setTheme] = useState<ThemeChoice>(storedTheme());
  return (
    <label className="theme-select">
      <span className="visually-hidden">Theme</span>
      <select
        value={theme}
        onChange={(e) => {
          const t = e.target.value as ThemeChoice;
          setTheme(t);
          applyTheme(t);
        }}
      >
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

function UserMenu() {
  const me = useMe();
  const { signOut } = useSession();
  return (
    <div className="user-menu">
      <span className="user-name" title={me.kind === 'token' ? 'signed in with an API token' : undefined}>
        {me.email ?? me.name}
      </span>
      <span className="badge badge-role">{me.role}</span>
      {me.kind === 'session' && (
        <button type="button" className="btn btn-small" onClick={() => void signOut()}>
          Sign out
        </button>
      )}
    </div>
  );
}
