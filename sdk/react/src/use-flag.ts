import { useCallback, useSyncExternalStore } from 'react';
import type { FlagAnswer, FlagDetails, SwitchyardWebClient } from '@switchyard/web-sdk';
import { useSwitchyardClient } from './switchyard-provider';

type FlagValue = boolean | string | number | object;

/**
 * What a component depends on: its flag's answer (kept as the same object while unchanged) and
 * the client's status (which turns defaults into answers, or answers into CACHED ones).
 */
function useAnswer(client: SwitchyardWebClient, key: string): { answer: FlagAnswer | undefined; status: string } {
  const subscribe = useCallback(
    (notify: () => void) => {
      // Only this key's changes wake this component: a toggle of another flag re-renders nothing here.
      const offChange = client.on('change', ({ keys }) => {
        if (keys?.includes(key)) notify();
      });
      const offReady = client.on('ready', notify);
      const offError = client.on('error', notify);
      return () => {
        offChange();
        offReady();
        offError();
      };
    },
    [client, key],
  );
  const answer = useSyncExternalStore(subscribe, () => client.answer(key));
  const status = useSyncExternalStore(subscribe, () => client.status);
  return { answer, status };
}

function details<T extends FlagValue>(client: SwitchyardWebClient, key: string, defaultValue: T): FlagDetails<T> {
  switch (typeof defaultValue) {
    case 'boolean':
      return client.getBooleanDetails(key, defaultValue) as FlagDetails<T>;
    case 'string':
      return client.getStringDetails(key, defaultValue) as FlagDetails<T>;
    case 'number':
      return client.getNumberDetails(key, defaultValue) as FlagDetails<T>;
    default:
      return client.getObjectDetails(key, defaultValue as T & object) as FlagDetails<T>;
  }
}

/** A flag's value, typed by its default; re-renders only when this flag's answer changes. */
export function useFlag<T extends FlagValue>(key: string, defaultValue: T): T {
  return useFlagDetails(key, defaultValue).value;
}

/** A flag's value with its variant and reason (and, for a default, why). */
export function useFlagDetails<T extends FlagValue>(key: string, defaultValue: T): FlagDetails<T> {
  const client = useSwitchyardClient();
  useAnswer(client, key);
  return details(client, key, defaultValue);
}
