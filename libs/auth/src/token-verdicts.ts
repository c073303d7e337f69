import type { Principal } from './principal';

export interface TokenVerdict {
  /** The token's principal, or null: unknown or revoked. */
  principal: Principal | null;
  /** When PostgreSQL last confirmed this verdict. */
  checkedAt: number;
}

/**
 * Recent token verdicts, by token hash. Fresh verdicts spare PostgreSQL a lookup per request; older
 * ones (up to `maxStaleMs`) are only used while PostgreSQL is unreachable. Bounded: past `maxEntries`
 * the least recently checked verdict goes, so a flood of random tokens cannot grow it or wipe the
 * verdicts the real clients depend on during an outage all at once.
 */
export class TokenVerdicts {
  private readonly entries = new Map<string, TokenVerdict>();

  constructor(
    readonly freshMs: number,
    readonly maxStaleMs: number,
    readonly maxEntries = 10_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** A verdict young enough to trust without asking PostgreSQL. */
  fresh(hash: string, now: number): TokenVerdict | undefined {
    const verdict = this.entries.get(hash);
    return verdict && now - verdict.checkedAt < this.freshMs ? verdict : undefined;
  }

  /** A verdict still usable while PostgreSQL cannot be asked. */
  usableDuringOutage(hash: string, now: number): TokenVerdict | undefined {
    const verdict = this.entries.get(hash);
    return verdict && now - verdict.checkedAt < this.maxStaleMs ? verdict : undefined;
  }

  record(hash: string, principal: Principal | null, now: number): void {
    // Re-inserting moves the entry to the end, so Map order is "least recently checked first".
    this.entries.delete(hash);
    this.entries.set(hash, { principal, checkedAt: now });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** After a revocation on this replica: every verdict must be checked again. */
  forgetAll(): void {
    this.entries.clear();
  }
}
