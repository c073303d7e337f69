import type { StreamState } from './live-updates';

/** The header's dot: green live, amber slow (a request waits too long, or the stream reconnects), red offline. */
export type ConnectionState = 'live' | 'slow' | 'reconnecting' | 'offline';

/** A request unanswered this long turns the dot amber: the UI is not as live as it looks. */
export const SLOW_REQUEST_MS = 3_000;

export function connectionState(stream: StreamState, oldestPendingSince: number | undefined, now: number): ConnectionState {
  if (stream === 'closed') return 'offline';
  if (stream !== 'open') return 'reconnecting';
  return oldestPendingSince !== undefined && now - oldestPendingSince >= SLOW_REQUEST_MS ? 'slow' : 'live';
}

export const CONNECTION_TEXT: Record<ConnectionState, { text: string; label: string }> = {
  live: { text: 'Live', label: 'Live updates connected' },
  slow: { text: 'Slow', label: 'Waiting for the server: a request has had no answer for a few seconds' },
  reconnecting: { text: 'Reconnecting', label: 'Live updates reconnecting' },
  offline: { text: 'Offline', label: 'Live updates offline' },
};
