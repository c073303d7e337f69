import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiClient } from '../api/api-client';
import type { SessionView as Session } from '../../../../libs/auth/src/access.contract';
import type { EnvironmentView } from '../../../../libs/flags/src/flag.contract';
import { LiveUpdates } from '../live/live-updates';
import { abilitiesOf } from '../session/roles';
import { SessionContext, type SessionState } from '../session/session-context';
import { SetupPage } from '../session/setup.page';
import { SignInPage } from '../session/sign-in.page';
import { ErrorBanner } from '../forms/error-banner';
import { Layout } from './layout';
import { navigate } from './navigation';
import { PageRouter } from './page-router';
import { titleOf, type Route } from './routes';
import { useRoute } from './use-route';

type Boot =
  { state: 'loading' } | { state: 'setup' } | { state: 'signed-out' } | { state: 'signed-in'; session: Session } | { state: 'failed'; error: unknown };

export function App() {
  const api = useMemo(() => new ApiClient(), []);
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const [environments, setEnvironments] = useState<EnvironmentView[]>([]);
  const live = useMemo(() => new LiveUpdates(), []);
  const route = useRoute();

  const start = useCallback(async () => {
    try {
      const setup = await api.get<{ needed: boolean }>('/api/v1/setup');
      if (setup.needed) return setBoot({ state: 'setup' });
      // `optional`: signed out is an answer (user null), not a 401 that every sign-in page would log.
      const session = await api.get<Session | { user: null }>('/api/v1/session', { query: { optional: true } });
      if (!session.user) return setBoot({ state: 'signed-out' });
      api.setCsrfToken(session.csrfToken);
      setBoot({ state: 'signed-in', session });
    } catch (error) {
      setBoot({ state: 'failed', error });
    }
  }, [api]);

  useEffect(() => {
    void start();
  }, [start]);

  useEffect(() => {
    api.onUnauthenticated(() => {
      api.setCsrfToken(undefined);
      live.close();
      setBoot({ state: 'signed-out' });
    });
  }, [api, live]);

  const reloadEnvironments = useCallback(async () => {
    const list = await api.get<{ items: EnvironmentView[] }>('/api/v1/environments');
    setEnvironments(list.items);
  }, [api]);

  const signedIn = boot.state === 'signed-in';
  useEffect(() => {
    const shown: Route = boot.state === 'setup' ? { page: 'setup' } : boot.state === 'signed-out' ? { page: 'sign-in' } : route;
    document.title = titleOf(shown);
  }, [boot.state, route]);
  // `/` and the sign-in URLs have no page of their own once signed in.
  useEffect(() => {
    if (signedIn && (window.location.pathname === '/' || route.page === 'sign-in' || route.page === 'setup')) navigate('/flags', { replace: true });
  }, [signedIn, route.page]);
  useEffect(() => {
    if (!signedIn) return;
    void reloadEnvironments().catch(() => undefined);
  }, [signedIn, reloadEnvironments]);

  useEffect(() => {
    if (signedIn) live.start();
  }, [signedIn, live]);
  // The live stream covers every environment; one created since the list was loaded shows up with its first change.
  useEffect(
    () =>
      live.subscribe((notice) => {
        if (environments.length > 0 && !environments.some((env) => env.key === notice.environment)) void reloadEnvironments().catch(() => undefined);
      }),
    [live, environments, reloadEnvironments],
  );

  useEffect(() => () => live.close(), [live]);

  const onSignedIn = useCallback(
    (session: Session) => {
      api.setCsrfToken(session.csrfToken);
      setBoot({ state: 'signed-in', session });
      if (route.page === 'sign-in' || route.page === 'setup' || window.location.pathname === '/') navigate('/flags', { replace: true });
    },
    [api, route.page],
  );

  const signOut = useCallback(async () => {
    try {
      await api.delete('/api/v1/session');
    } finally {
      api.setCsrfToken(undefined);
      live.close();
      setBoot({ state: 'signed-out' });
      navigate('/sign-in');
    }
  }, [api, live]);

  const sessionState: SessionState | null = useMemo(
    () =>
      boot.state === 'signed-in'
        ? {
            user: boot.session.user,
            abilities: abilitiesOf(boot.session.user.role, boot.session.user.environmentRoles),
            api,
            live,
            environments,
            reloadEnvironments,
            signOut,
          }
        : null,
    [boot, api, live, environments, reloadEnvironments, signOut],
  );

  switch (boot.state) {
    case 'loading':
      return (
        <main className="centered" aria-busy="true">
          <p>Loading Switchyard…</p>
        </main>
      );
    case 'failed':
      return (
        <main className="centered">
          <h1>Switchyard</h1>
          <ErrorBanner error={boot.error} />
          <button type="button" onClick={() => void start()}>
            Try again
          </button>
        </main>
      );
    case 'setup':
      return <SetupPage api={api} onDone={onSignedIn} />;
    case 'signed-out':
      return <SignInPage api={api} onSignedIn={onSignedIn} />;
    case 'signed-in':
      return (
        <SessionContext.Provider value={sessionState}>
          <Layout route={route}>
            <PageRouter route={route} />
          </Layout>
        </SessionContext.Provider>
      );
  }
}
