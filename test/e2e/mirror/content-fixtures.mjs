// Non-JSON answers under /content/… for the content-type suite (mirror-content-types.spec.ts).
// Every answer carries its own timestamp and nonce, as real pages do; the `changed` flavour also
// changes one thing per endpoint (a heading, a form value, an XML price, an image byte, a redirect).
import { randomBytes } from 'node:crypto';

let served = 0;

export function answerContent(flavour, parts, response) {
  const changed = flavour === 'changed';
  const now = `${new Date().toISOString()}#${++served}`;
  const nonce = randomBytes(8).toString('hex');
  const send = (status, headers, body) => {
    response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    response.end(body);
  };
  switch (parts[0]) {
    case 'page':
      return send(
        200,
        { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
        [
          '<!doctype html>',
          '<html>',
          `<head><title>Orders</title><script nonce="${nonce}">start()</script></head>`,
          '<body>',
          `  <h1>${changed ? 'Your orders' : 'Orders'}</h1>`,
          `  <p>Rendered at ${now}</p>`,
          `  <form method="post"><input type="hidden" name="csrf" value="${nonce}"><button>Go</button></form>`,
          '</body>',
          '</html>',
        ].join('\n'),
      );
    case 'form':
      return send(200, { 'content-type': 'application/x-www-form-urlencoded' }, `plan=${changed ? 'free' : 'pro'}&seats=3&token=${nonce}`);
    case 'feed':
      return send(
        200,
        { 'content-type': 'application/atom+xml' },
        `<?xml version="1.0"?>\n<feed>\n<updated>${now}</updated>\n<entry><price>10</price></entry>\n<entry><price>${changed ? 21 : 20}</price></entry>\n</feed>\n`,
      );
    case 'logo': {
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, ...(changed ? [0x00] : [])]);
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
      return response.end(bytes);
    }
    case 'moved':
      return send(changed ? 301 : 302, { location: changed ? '/new-home' : '/home', 'content-type': 'text/plain' }, 'moved');
    default:
      return send(404, { 'content-type': 'text/plain' }, 'not found');
  }
}
