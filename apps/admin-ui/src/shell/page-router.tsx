import { AuditPage } from '../audit/audit.page';
import { ChangeRequestsPage } from '../change-requests/change-requests.page';
import { EnvironmentsPage } from '../environments/environments.page';
import { FlagDetailPage } from '../flags/flag-detail.page';
import { FlagsPage } from '../flags/flags.page';
import { DarkLaunchPage } from '../mirror/dark-launch.page';
import { ReleaseDetailPage } from '../releases/release-detail.page';
import { ReleasePolicyPage } from '../releases/release-policy.page';
import { ReleasesPage } from '../releases/releases.page';
import { SegmentsPage } from '../segments/segments.page';
import { AccountPage } from '../session/account.page';
import { useSession } from '../session/session-context';
import { TimelinePage } from '../timeline/timeline.page';
import { TokensPage } from '../tokens/tokens.page';
import { UsersPage } from '../users/users.page';
import { Link } from './link';
import type { Route } from './routes';

export function PageRouter({ route }: { route: Route }) {
  const { abilities } = useSession();
  switch (route.page) {
    case 'flags':
      return <FlagsPage filters={route.filters} />;
    case 'setup':
    case 'sign-in':
      return <FlagsPage />;
    case 'flag':
      return <FlagDetailPage key={route.key} flagKey={route.key} tab={route.tab} environment={route.environment} />;
    case 'segments':
      return <SegmentsPage />;
    case 'environments':
      return <EnvironmentsPage />;
    case 'change-requests':
      return <ChangeRequestsPage />;
    case 'audit':
      return <AuditPage filters={route.filters} />;
    case 'timeline':
      return <TimelinePage filters={route.filters} />;
    case 'account':
      return <AccountPage />;
    case 'releases':
      return <ReleasesPage key={route.service ?? ''} service={route.service} />;
    case 'release':
      return <ReleaseDetailPage key={route.id} id={route.id} />;
    case 'release-policy':
      return <ReleasePolicyPage key={route.service} service={route.service} />;
    case 'dark-launch':
      return <DarkLaunchPage key={route.route ?? ''} routeName={route.route} />;
    case 'tokens':
      return abilities.admin ? <TokensPage /> : <NotAllowed />;
    case 'users':
      return abilities.admin ? <UsersPage /> : <NotAllowed />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <Link href="/flags">Go to flags</Link>.
          </p>
        </section>
      );
  }
}

function NotAllowed() {
  return (
    <section>
      <h1>Administrators only</h1>
      <p>Ask an administrator for access.</p>
    </section>
  );
}
