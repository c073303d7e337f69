/**
 * What the audit filters send: target and actor are prefixes (the API's trailing `*`), and an
 * actor typed without a kind ("ada") means a person (`user:ada*`).
 */
export function prefixQuery(value: string, kind?: 'actor'): string | undefined {
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  const qualified = kind === 'actor' && !trimmed.includes(':') ? `user:${trimmed}` : trimmed;
  return qualified.endsWith('*') ? qualified : `${qualified}*`;
}

/** An actor as people read it: a person's name, "token ci", or the raw actor. */
export function actorLabel(event: { actor: string; actorName?: string | null }): string {
  if (event.actorName) return event.actorName;
  if (event.actor.startsWith('token:')) return `token ${event.actor.slice('token:'.length)}`;
  if (event.actor.startsWith('user:')) return event.actor.slice('user:'.length);
  return event.actor;
}
