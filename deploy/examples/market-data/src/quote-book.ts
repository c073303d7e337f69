import { createHash } from 'node:crypto';

export interface Quote {
  symbol: string;
  price: number;
  currency: 'USD';
  asOf: string;
}

/** Ticker symbols as exchanges print them: 1-5 capital letters, optionally a class suffix (BRK.B). */
export const SYMBOL = /^[A-Z]{1,5}(\.[A-Z])?$/;

/**
 * Quotes for the sample: a stable price per symbol (from a hash), so tests can assert values
 * without a market feed. A real service would read its feed here.
 */
export class QuoteBook {
  constructor(private readonly now: () => Date = () => new Date()) {}

  quote(symbol: string): Quote | undefined {
    if (!SYMBOL.test(symbol)) return undefined;
    const cents = createHash('sha256').update(symbol).digest().readUInt32BE(0) % 100_000;
    return { symbol, price: Math.max(cents, 100) / 100, currency: 'USD', asOf: this.now().toISOString() };
  }
}
