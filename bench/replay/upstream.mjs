// A fast quotes service for the record/replay benchmark: `node upstream.mjs USD|EUR` prints its URL.
// Every answer has a fresh timestamp and request id (noise) and a secret account number (masked).
import http from 'node:http';

const currency = process.argv[2] ?? 'USD';
let sequence = 0;
const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const symbol = (request.url ?? '/').split('/').pop();
    const body = JSON.stringify({
      symbol,
      price: symbol.length * 10.5,
      currency,
      timestamp: new Date(Date.now() + ++sequence).toISOString(),
      requestId: `${process.pid}-${sequence}`,
      account: { number: 'ACCT-31337', tier: 'gold' },
    });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'set-cookie': 'sid=bench-cookie' });
    response.end(body);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
