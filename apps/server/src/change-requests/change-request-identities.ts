import { Injectable } from '@nestjs/common';
import { TokensService, UsersService, actorOf, type Principal } from '@switchyard/auth';
import type { Reviewer } from '@switchyard/flags';

/** Tokens a person makes carry their `created_by`; the installation's own (bootstrap) token was made by no one. */
const NO_ONE = 'system';

/**
 * Who counts as the same person for four-eyes: a user is `user:<email>`; a token is itself and
 * whoever created it (a token an author created cannot approve the author's request, nor the
 * other way round).
 */
@Injectable()
export class ChangeRequestIdentities {
  constructor(
    private readonly tokens: TokensService,
    private readonly users: UsersService,
  ) {}

  async reviewer(principal: Principal): Promise<Reviewer> {
    return { actor: actorOf(principal), identities: await this.of(`${principal.kind}:${principal.id}`) };
  }

  /** A request's author as WriteContext.principal recorded it (`user:<id>` / `token:<id>`). */
  readonly of = async (principal: string): Promise<string[]> => {
    const [kind, id] = splitOnce(principal);
    try {
      if (kind === 'user') return [`user:${(await this.users.get(id)).email}`];
      if (kind === 'token') {
        const token = await this.tokens.get(id);
        return [`token:${token.name}`, `token-id:${token.id}`, ...(await this.creators(token.createdBy))];
      }
    } catch {
      // Deleted since: only the recorded actor is left to compare.
    }
    return [principal];
  };

  /**
   * A token's creator and, when that is a token (`token:<name>`), its creators in turn: a token made
   * by a token the author made is still the author's.
   */
  private async creators(createdBy: string): Promise<string[]> {
    const found: string[] = [];
    let frontier = [createdBy];
    for (let depth = 0; depth < MAX_CHAIN && frontier.length; depth++) {
      const fresh = frontier.filter((actor) => actor !== NO_ONE && !found.includes(actor));
      found.push(...fresh);
      const tokenNames = fresh.filter((actor) => actor.startsWith('token:'));
      if (tokenNames.length === 0) break;
      const all = await this.tokens.list();
      frontier = all.filter((t) => tokenNames.includes(`token:${t.name}`)).map((t) => t.createdBy);
    }
    return found;
  }
}

/** How many tokens-made-by-tokens are followed back to a person. */
const MAX_CHAIN = 5;

function splitOnce(value: string): [string, string] {
  const at = value.indexOf(':');
  return at < 0 ? ['', value] : [value.slice(0, at), value.slice(at + 1)];
}
