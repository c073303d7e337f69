import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { QuoteBook, type Quote } from '../src/quote-book';
import { createMarketDataServer } from '../src/server';

void describe('market-data HTTP API', () => {
  const server = createMarketDataServer(new QuoteBook(() => new Date('2026-01-02T03:04:05Z')));
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  void it('GET /ping answers ok', async () => {
    const res = await fetch(`${base}/ping`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  void it('GET /quotes/:symbol returns a stable quote', async () => {
    const first = (await (await fetch(`${base}/quotes/ACME`)).json()) as Quote;
    const second = (await (await fetch(`${base}/quotes/ACME`)).json()) as Quote;
    assert.equal(first.symbol, 'ACME');
    assert.equal(first.currency, 'USD');
    assert.equal(first.asOf, '2026-01-02T03:04:05.000Z');
    assert.ok(first.price >= 1 && first.price < 1000);
    assert.deepEqual(first, second);
  });

  void it('rejects symbols that are not tickers', async () => {
    for (const symbol of ['acme', 'TOOLONG', '1BC']) {
      const res = await fetch(`${base}/quotes/${symbol}`);
      assert.equal(res.status, 400, symbol);
    }
  });

  void it('answers 404 for unknown routes and 405 for writes', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/ping`, { method: 'POST' })).status, 405);
  });
});
