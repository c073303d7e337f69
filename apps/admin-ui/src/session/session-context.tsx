import { createContext, useContext } from 'react';
import type { ApiClient } from '../api/api-client';
import type { UserView as User } from '../../../../libs/auth/src/access.contract';
import type { EnvironmentView } from '../../../../libs/flags/src/flag.contract';
import type { LiveUpdates } from '../live/live-updates';
import type { Abilities } from './roles';

export interface SessionState {
  user: User;
  abilities: Abilities;
  api: ApiClient;
  live: LiveUpdates;
  environments: EnvironmentView[];
  reloadEnvironments(): Promise<void>;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
