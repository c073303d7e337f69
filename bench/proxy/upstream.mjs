// Upstreams for the proxy benchmark, in their own process: `primary` and `candidate` answer the
// same small JSON document; `stampedPrimary` and `stampedCandidate` add a timestamp and request id
// of their own to it; `hang` accepts connections and never answers. Prints one JSON line
// of URLs, exits when stdin closes.
import http from 'node:http';

const document = { symbol: 'ABC', price: 101.25, currency: 'USD', venues: ['XNYS', 'XNAS'], book: { bid: 101.2, ask: 101.3, depth: [5, 7, 9, 11] } };
const body = Buffer.from(JSON.stringify(document));

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

// Like `answering`, but every response carries its own timestamp and request id, as real services'
// do: each comparison then has to parse and diff the bodies (with those two fields ignored).
function stamped() {
  let sequence = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const text = JSON.stringify({ ...document, timestamp: new Date().toISOString(), requestId: `r${++sequence}` });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
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

const servers = { primary: answering(), candidate: answering(), stampedPrimary: stamped(), stampedCandidate: stamped(), hang: hanging() };
const urls = {};
for (const [name, server] of Object.entries(servers)) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  urls[name] = `http://127.0.0.1:${server.address().port}`;
}
process.stdout.write(`${JSON.stringify(urls)}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
