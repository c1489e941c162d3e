// A server that answers instantly with responses recorded from grantline-server (the benchmark's
// "canned" target): `POST /sdk/grants/list` gets the recorded 100-grant page, a create gets the
// recorded create result, each with its recorded headers (the actor id included). It checks
// nothing, so client CPU is measured without a real server's latency. Loopback only; it exits
// when its stdin closes (the parent ends or goes away).
//   node canned-server.mjs <recording.json>   → prints {"baseUrl": "http://127.0.0.1:PORT"}
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const recording = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const answers = Object.fromEntries(
  Object.entries(recording).map(([name, r]) => {
    const body = Buffer.from(r.body);
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
    if (r.actorId) headers['x-alter-actor-id'] = r.actorId;
    return [name, { status: r.status, headers, body }];
  }),
);

const server = createServer((req, res) => {
  const answer =
    req.url === '/sdk/grants/list'
      ? answers.list
      : /^\/sdk\/managed-secrets\/[^/]+\/grants$/.test(req.url ?? '')
        ? answers.create
        : undefined;
  req.on('end', () => {
    if (answer === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not_found","message":"the canned server answers list and create only"}');
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  });
  req.resume();
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 61_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ baseUrl: `http://127.0.0.1:${server.address().port}` }));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
