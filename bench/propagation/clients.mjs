// One client process of bench/propagation: holds `count` SSE connections to /sdk/v1/stream and
// reports, per snapshot version, the moment each connection received its `change` event
// (process.hrtime in µs: CLOCK_MONOTONIC, comparable across processes on one machine).
//
// Parent → child (IPC): { type: 'start', url, token, count } then { type: 'stop' }.
// Child → parent: { type: 'ready' } once every connection has its initial snapshot,
//                 { type: 'version', version, times } once every connection has seen `version`,
//                 { type: 'lost', reason } if a connection fails.
import http from 'node:http';

const now = () => Number(process.hrtime.bigint() / 1000n);
const sockets = [];
const received = new Map();
let expected = 0;
let connected = 0;

function record(version, at) {
  let times = received.get(version);
  if (!times) received.set(version, (times = []));
  times.push(at);
  if (times.length === expected) {
    received.delete(version);
    process.send({ type: 'version', version, times });
  }
}

function open(url, token) {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${url}/sdk/v1/stream`,
      { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`stream answered ${response.statusCode}`));
          response.resume();
          return;
        }
        response.setEncoding('utf8');
        let buffer = '';
        let ready = false;
        response.on('data', (chunk) => {
          // Stamped on arrival, before any parsing.
          const at = now();
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith('event: change\n')) {
              const id = /^id: (\d+)$/m.exec(block);
              if (id) record(Number(id[1]), at);
            } else if (!ready && block.startsWith('event: snapshot\n')) {
              ready = true;
              resolve();
            }
          }
        });
        response.on('close', () => {
          if (!stopping) process.send({ type: 'lost', reason: 'stream closed by the server' });
        });
      },
    );
    request.on('error', (error) => {
      if (!stopping) process.send({ type: 'lost', reason: error.message });
      reject(error);
    });
    sockets.push(request);
  });
}

let stopping = false;
process.on('message', async (message) => {
  if (message.type === 'stop') {
    stopping = true;
    for (const request of sockets) request.destroy();
    process.disconnect();
    return;
  }
  if (message.type !== 'start') return;
  expected = message.count;
  // A few connections at a time: a thousand simultaneous SYNs would only measure the accept backlog.
  let next = 0;
  const worker = async () => {
    while (next < message.count) {
      next += 1;
      await open(message.url, message.token);
      connected += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: 10 }, worker));
    process.send({ type: 'ready', connected });
  } catch (error) {
    process.send({ type: 'lost', reason: error.message });
  }
});
