import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { QuoteBook, SYMBOL } from './quote-book';

/** The HTTP surface: GET /ping and GET /quotes/:symbol, JSON in and out. */
export function createMarketDataServer(book = new QuoteBook()): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET') return send(405, { error: 'only GET is supported' });
    if (url.pathname === '/ping') return send(200, { status: 'ok' });
    const match = /^\/quotes\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const symbol = decodeURIComponent(match[1]);
      if (!SYMBOL.test(symbol)) return send(400, { error: `"${symbol}" is not a ticker symbol (1-5 capital letters)` });
      return send(200, book.quote(symbol));
    }
    return send(404, { error: `no route for ${url.pathname}` });
  });
}
