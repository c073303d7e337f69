import type { EntityManager } from 'typeorm';

/**
 * Who an actor answers for: itself, every token above it in the `created_by` chain, and the
 * people (`user:` actors) at the top of that chain. A token a person created acts for that person.
 */
export interface Party {
  actor: string;
  /** The actor and the tokens that created it, directly or through other tokens. */
  chain: Set<string>;
  /** The people the actor acts for. */
  people: Set<string>;
}

const MAX_DEPTH = 8;

/**
 * Walks `api_tokens.created_by` upwards from an actor (`token:<name>` or `user:<name>`). Token names
 * are not unique, so every token of that name counts: a clash can only refuse more, never less.
 */
export async function partyOf(manager: EntityManager, actor: string): Promise<Party> {
  const party: Party = { actor, chain: new Set([actor]), people: new Set() };
  let frontier = [actor];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
    const next: string[] = [];
    for (const current of frontier) {
      if (current.startsWith('user:')) {
        party.people.add(current);
        continue;
      }
      if (!current.startsWith('token:')) continue;
      const rows: Array<{ created_by: string }> = await manager.query('SELECT DISTINCT created_by FROM api_tokens WHERE name = $1', [
        current.slice('token:'.length),
      ]);
      for (const { created_by: creator } of rows) {
        if (party.chain.has(creator)) continue;
        party.chain.add(creator);
        next.push(creator);
      }
    }
    frontier = next;
  }
  return party;
}

/**
 * Why `approver` may not approve what `starter` started, or undefined when they are two parties:
 * the same actor, a token that one created (directly or not), or two actors acting for one person.
 */
export function sameParty(starter: Party, approver: Party): string | undefined {
  if (starter.actor === approver.actor) return `${approver.actor} started it`;
  if (starter.chain.has(approver.actor)) return `${approver.actor} created ${starter.actor}, which started it`;
  if (approver.chain.has(starter.actor)) return `${approver.actor} was created by ${starter.actor}, which started it`;
  const person = [...approver.people].find((p) => starter.people.has(p));
  if (person) return `${approver.actor} and ${starter.actor}, which started it, both act for ${person}`;
  return undefined;
}
