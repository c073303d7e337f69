// The baseline: plain http-proxy with a keep-alive agent and the options Switchyard's live path
// uses (xfwd, changeOrigin), nothing else. Usage: node plain-proxy.mjs <target> → prints {"url":…}.
import http from 'node:http';
import httpProxy from 'http-proxy';

const target = process.argv[2];
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
const proxy = httpProxy.createProxyServer({ xfwd: true, changeOrigin: true, agent });
proxy.on('error', () => undefined);
const server = http.createServer((request, response) =>
  proxy.web(request, response, { target }, () => {
    if (!response.headersSent) response.writeHead(502);
    response.end();
  }),
);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
