import { useEffect, useState, type ReactNode } from 'react';
import { describeChange } from '../live/change-event';
import { ConnectionIndicator } from '../live/connection-indicator';
import { useSession } from '../session/session-context';
import { Link } from './link';
import type { Route } from './routes';

const NAV: Array<{ href: string; label: string; pages: Route['page'][]; admin?: boolean }> = [
  { href: '/flags', label: 'Flags', pages: ['flags', 'flag'] },
  { href: '/segments', label: 'Segments', pages: ['segments'] },
  { href: '/environments', label: 'Environments', pages: ['environments'] },
  { href: '/change-requests', label: 'Change requests', pages: ['change-requests'] },
  { href: '/releases', label: 'Releases', pages: ['releases', 'release'] },
  { href: '/dark-launch', label: 'Dark launch', pages: ['dark-launch'] },
  { href: '/timeline', label: 'Timeline', pages: ['timeline'] },
  { href: '/audit', label: 'Audit log', pages: ['audit'] },
  { href: '/tokens', label: 'API tokens', pages: ['tokens'], admin: true },
  { href: '/users', label: 'Users', pages: ['users'], admin: true },
];

const FEED_SIZE = 3;
const FEED_MS = 15_000;

interface FeedItem {
  id: number;
  text: string;
  at: number;
}

export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  const { user, abilities, api, live, signOut } = useSession();
  const [feed, setFeed] = useState<FeedItem[]>([]);

  useEffect(() => {
    let id = 0;
    const seen = new Set<string>();
    return live.subscribe((notice) => {
      // A stream resumed after a leader tab closed may repeat a version; say it once.
      const key = `${notice.environment}:${notice.version}`;
      if (seen.has(key)) return;
      seen.add(key);
      // One's own changes (from any tab) are no news: creating a flag used to raise one toast per environment.
      if (notice.actor === `user:${user.email}`) return;
      const item = { id: (id += 1), text: describeChange(notice), at: Date.now() };
      setFeed((items) => [item, ...items].slice(0, FEED_SIZE));
      // Lines fade out on their own; the audit log keeps the full story.
      setTimeout(() => setFeed((items) => items.filter((i) => i.id !== item.id)), FEED_MS);
    });
  }, [live, user.email]);

  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/flags" className="brand">
          Switchyard
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => !item.admin || abilities.admin).map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={item.pages.includes(route.page) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-end">
          <ConnectionIndicator api={api} live={live} />
          <Link href="/account" className="who" title={`${user.email}: your account and password`} aria-current={route.page === 'account' ? 'page' : undefined}>
            {user.name} <span className="role-badge">{user.role}</span>
          </Link>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
      <aside className="live-feed" aria-label="Recent changes">
        <ul aria-live="polite" data-testid="live-feed">
          {feed.map((item) => (
            <li key={item.id}>
              <button type="button" className="link-button" aria-label="Dismiss" onClick={() => setFeed((items) => items.filter((i) => i.id !== item.id))}>
                ×
              </button>{' '}
              {item.text}
            </li>
          ))}
        </ul>
      </aside>
    </div>
  );
}
