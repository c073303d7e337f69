import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';

const ROOT = join(__dirname, '../../..');

/** Builds @switchyard/web-sdk as it is published, into `out`; the page imports its ESM build. */
export function buildWebSdk(out: string): void {
  execFileSync(process.execPath, [join(ROOT, 'sdk/web/scripts/build.mjs'), '--out', out], { stdio: 'pipe' });
  execFileSync(process.execPath, [join(__dirname, 'build-react-page.mjs'), out], { stdio: 'pipe' });
}

const REACT_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>shop (React)</title></head>
<body><div id="root"></div><script type="module" src="./sdk/react-page.js"></script></body></html>`;

/**
 * A product's page on its own loopback origin: `/` is a tiny app that renders one flag with the
 * web SDK, `/sdk/*` the built package. Query: server, token, context (JSON), flag.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title></head>
<body>
<p id="banner">loading</p><p id="reason"></p><p id="message"></p><p id="status"></p>
<script type="module">
  import { createClient } from './sdk/esm/index.js';
  const query = new URLSearchParams(location.search);
  const flag = query.get('flag') || 'new-banner';
  window.renders = [];
  const client = createClient({ url: query.get('server'), clientToken: query.get('token'), context: JSON.parse(query.get('context') || '{}'), usageIntervalMs: 1000 });
  window.client = client;
  function render() {
    const details = client.getBooleanDetails(flag, false);
    document.getElementById('banner').textContent = details.value ? 'on' : 'off';
    document.getElementById('reason').textContent = details.errorCode ? details.reason + ' ' + details.errorCode : details.reason;
    document.getElementById('message').textContent = details.errorMessage || '';
    document.getElementById('status').textContent = client.status;
    window.renders.push({ value: details.value, at: Date.now() });
  }
  render();
  client.on('change', render);
  client.on('error', render);
  client.on('ready', render);
  client.ready.then(render);
</script>
</body></html>`;

export function startPageServer(sdkDir: string, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    if (path === '/react') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(REACT_PAGE);
      return;
    }
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    const file = normalize(path.slice('/sdk/'.length));
    if (!path.startsWith('/sdk/') || file.startsWith('..')) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(join(sdkDir, file));
      response.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
