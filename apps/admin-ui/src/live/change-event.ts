/** One `change` event of /api/v1/live as the UI uses it: what changed, in which version, by whom. */
export interface ChangeNotice {
  environment: string;
  version: number;
  flags: string[];
  segments: string[];
  actor?: string;
  /** Flags whose enabled state the event tells outright (null = deleted or archived). */
  enabled: Record<string, boolean | null>;
  /** The whole environment was reloaded (or moved while offline): `flags` lists every flag in it. */
  full?: true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parses an event's data; anything malformed gives undefined (the caller then just refetches). */
export function parseChangeEvent(data: string): ChangeNotice | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isRecord(raw) || typeof raw.environment !== 'string' || typeof raw.version !== 'number') return undefined;
  const flags = isRecord(raw.flags) ? raw.flags : {};
  const segments = isRecord(raw.segments) ? raw.segments : {};
  const enabled: Record<string, boolean | null> = {};
  for (const [key, flag] of Object.entries(flags)) {
    enabled[key] = isRecord(flag) && typeof flag.enabled === 'boolean' ? flag.enabled : null;
  }
  return {
    environment: raw.environment,
    version: raw.version,
    flags: Object.keys(flags),
    segments: Object.keys(segments),
    ...(typeof raw.actor === 'string' ? { actor: raw.actor } : {}),
    enabled,
    ...(raw.full === true ? { full: true as const } : {}),
  };
}

/** "ada@example.com turned checkout on in production" — the live feed line for a change. */
export function describeChange(notice: ChangeNotice): string {
  const who = notice.actor ? notice.actor.replace(/^(user|token):/, '') : 'someone';
  const what: string[] = [];
  if (notice.full) return `${who} changed flags in ${notice.environment}`;
  for (const key of notice.flags) {
    const state = notice.enabled[key];
    what.push(state === null ? `archived ${key}` : `changed ${key}${state === undefined ? '' : ` (now ${state ? 'on' : 'off'})`}`);
  }
  for (const key of notice.segments) what.push(`changed segment ${key}`);
  return `${who} ${what.length ? what.join(', ') : 'changed flags'} in ${notice.environment}`;
}
