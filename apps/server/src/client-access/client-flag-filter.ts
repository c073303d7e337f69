/** What a client token's flag filter may be: flags marked client-side, or flags with one tag. */
export const FLAG_FILTER = /^(?:client-side|tag:[A-Za-z0-9_.:-]{1,64})$/;

export type ClientFlagFilter = { kind: 'all' } | { kind: 'client-side' } | { kind: 'tag'; tag: string };

export function parseFlagFilter(value: string | null | undefined): ClientFlagFilter {
  if (!value) return { kind: 'all' };
  if (value === 'client-side') return { kind: 'client-side' };
  if (value.startsWith('tag:')) return { kind: 'tag', tag: value.slice(4) };
  // Stored values were validated on the way in; an unreadable one shows nothing rather than everything.
  return { kind: 'tag', tag: '\u0000' };
}

/** A stable key for grouping stream connections that see the same flags. */
export function filterKey(filter: ClientFlagFilter): string {
  return filter.kind === 'tag' ? `tag:${filter.tag}` : filter.kind;
}
