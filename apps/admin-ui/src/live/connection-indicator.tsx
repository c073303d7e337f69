import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/api-client';
import { CONNECTION_TEXT, SLOW_REQUEST_MS, connectionState } from './connection-state';
import type { LiveUpdates } from './live-updates';

/** The header's live dot, re-evaluated when the stream's state or the set of waiting requests changes. */
export function ConnectionIndicator({ api, live }: { api: ApiClient; live: LiveUpdates }) {
  const [stream, setStream] = useState(live.state);
  const [, setChecked] = useState(0);

  useEffect(() => live.onStatus(setStream), [live]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = () => {
      clearTimeout(timer);
      setChecked((n) => n + 1);
      const since = api.oldestPendingSince;
      // Look again when the oldest waiting request crosses the threshold.
      if (since !== undefined && since + SLOW_REQUEST_MS > Date.now()) timer = setTimeout(check, since + SLOW_REQUEST_MS - Date.now());
    };
    const off = api.onPendingChange(check);
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [api]);

  const state = connectionState(stream, api.oldestPendingSince, Date.now());
  const { text, label } = CONNECTION_TEXT[state];
  return (
    <span className={`live-dot connection-${state}`} role="status" aria-label={label} title={label} data-state={state}>
      {text}
    </span>
  );
}
