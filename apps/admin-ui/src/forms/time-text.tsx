/** A timestamp as "5 min ago" with the exact time in a tooltip and a machine-readable datetime. */
export function TimeText({ at, empty = 'never' }: { at: string | null | undefined; empty?: string }) {
  if (!at) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()}>
      {relativeTime(Date.parse(at), Date.now())}
    </time>
  );
}

export function relativeTime(at: number, now: number): string {
  const seconds = Math.round((now - at) / 1000);
  if (Number.isNaN(seconds)) return '—';
  if (Math.abs(seconds) < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return `${days} d ago`;
}
