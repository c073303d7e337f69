import { ApiError, type ApiClient } from '../api/api-client';
import type { EnvironmentView, FlagView } from '../api/api-types';

export type ConfirmFn = (request: { title: string; body: string; confirmLabel?: string; danger?: boolean }) => Promise<boolean>;

export type ToggleOutcome = { kind: 'done'; flag: FlagView } | { kind: 'cancelled' } | { kind: 'conflict'; error: ApiError };

/**
 * Turns a flag on or off in one environment. Environments that need confirmation (production) ask
 * first and send X-Switchyard-Confirm only after a yes; If-Match makes a toggle based on a stale
 * view fail instead of silently overriding someone else's change.
 */
export async function toggleFlag(
  api: ApiClient,
  flag: Pick<FlagView, 'key' | 'version'>,
  environment: EnvironmentView,
  enabled: boolean,
  confirm: ConfirmFn,
): Promise<ToggleOutcome> {
  let confirmed: string[] = [];
  if (environment.requiresConfirmation) {
    const ok = await confirm({
      title: `Turn ${enabled ? 'on' : 'off'} ${flag.key} in ${environment.name}?`,
      body: `${environment.name} needs confirmation: this changes what users there get within seconds.`,
      confirmLabel: `Turn ${enabled ? 'on' : 'off'} in ${environment.name}`,
      danger: true,
    });
    if (!ok) return { kind: 'cancelled' };
    confirmed = [environment.key];
  }
  try {
    const updated = await api.post<FlagView>(
      `/api/v1/flags/${encodeURIComponent(flag.key)}/environments/${encodeURIComponent(environment.key)}/toggle`,
      { enabled },
      {
        ifMatch: flag.version,
        confirm: confirmed,
      },
    );
    return { kind: 'done', flag: updated };
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return { kind: 'conflict', error };
    throw error;
  }
}
