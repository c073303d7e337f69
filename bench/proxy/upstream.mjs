// Upstreams for the proxy benchmark, in their own process: `primary` and `candidate` answer the
// same small JSON document; `hang` accepts connections and never answers. Prints one JSON line
// of URLs, exits when stdin closes.
import http from 'node:http';

const body = Buffer.from(
  JSON.stringify({ symbol: 'ABC', price: 101.25, currency: 'USD', venues: ['XNYS', 'XNAS'], book: { bid: 101.2, ask: 101.3, depth: [5, 7, 9, 11] } }),
);

function answering() {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      response.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

function hanging() {
  const held = new Set();
  const server = http.createServer((request, response) => {
    held.add(response);
    response.on('close', () => held.delete(response));
  });
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  return server;
}

const servers = { primary: answering(), candidate: answering(), hang: hanging() };
const urls = {};
for (const [name, server] of Object.entries(servers)) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  urls[name] = `http://127.0.0.1:${server.address().port}`;
}
process.stdout.write(`${JSON.stringify(urls)}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
