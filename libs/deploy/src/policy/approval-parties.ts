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
 * `tokenCreators` reads the lineage (ApprovalPartiesRepository, inside the caller's transaction).
 */
export async function partyOf(tokenCreators: (tokenName: string) => Promise<string[]>, actor: string): Promise<Party> {
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
      for (const creator of await tokenCreators(current.slice('token:'.length))) {
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
