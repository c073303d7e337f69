import { describeEnvironmentChange, type DescribableEnvironment } from '@switchyard/core';
import { createElement } from 'react';
import { ApiError, type ApiClient } from '../api/api-client';
import type { EnvironmentView, FlagView } from '../../../../libs/flags/src/flag.contract';
import { isPendingChange } from '../change-requests/pending-change';
import type { ChangeRequestView, PendingChange } from '../../../../libs/flags/src/change-request.contract';
import { ChangeList } from '../diff/change-list';
import type { ReviewFn } from '../forms/confirm-dialog';
import { reviewNeeds } from './change-review';

export type ToggleOutcome =
  { kind: 'done'; flag: FlagView } | { kind: 'pending'; request: ChangeRequestView } | { kind: 'cancelled' } | { kind: 'conflict'; error: ApiError };

const SOME_TARGETING: DescribableEnvironment = { enabled: false, offVariant: '', rules: [], defaultServe: { variant: '' } };

/**
 * Turns a flag on or off in one environment. Environments that need confirmation (production) or
 * a comment ask first, in the same words as history and audit ("Production: turns OFF"), and send
 * X-Switchyard-Confirm / the comment only after a yes; If-Match makes a toggle based on a stale
 * view fail instead of silently overriding someone else's change.
 */
export async function toggleFlag(
  api: ApiClient,
  flag: Pick<FlagView, 'key' | 'version'>,
  environment: EnvironmentView,
  enabled: boolean,
  review: ReviewFn,
): Promise<ToggleOutcome> {
  const needs = reviewNeeds([environment], [environment.key]);
  let comment: string | undefined;
  if (needs.ask) {
    const changes = describeEnvironmentChange({ ...SOME_TARGETING, enabled: !enabled }, { ...SOME_TARGETING, enabled });
    const answer = await review({
      title: `Turn ${enabled ? 'on' : 'off'} ${flag.key} in ${environment.name}?`,
      body: createElement(ChangeList, { changes: { flag: [], environments: [{ environment: environment.key, name: environment.name, changes }] } }),
      confirmLabel: `Turn ${enabled ? 'on' : 'off'} in ${environment.name}`,
      danger: needs.danger,
      comment: needs.comment,
    });
    if (!answer) return { kind: 'cancelled' };
    comment = answer.comment;
  }
  try {
    const updated = await api.post<FlagView | PendingChange>(
      `/api/v1/flags/${encodeURIComponent(flag.key)}/environments/${encodeURIComponent(environment.key)}/toggle`,
      { enabled },
      { ifMatch: flag.version, confirm: needs.confirm, comment },
    );
    // An environment that requires approval answers with a change request: nothing changed yet.
    if (isPendingChange(updated)) return { kind: 'pending', request: updated.changeRequest };
    return { kind: 'done', flag: updated };
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return { kind: 'conflict', error };
    throw error;
  }
}
