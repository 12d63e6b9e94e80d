/**
 * The overhead benchmark's server: answers `GET /v3/users/self/egvs` (with a bearer token) with
 * the same pre-serialised one-day page every time, so its own cost is small and identical for
 * every contender. Run by the benchmark in a child process; `npx tsx bench/servers/page-server.ts`
 * starts it by hand.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceServer } from '../support/server-process.js';
import { egvsDayPage } from '../support/egvs-page.js';

const page = egvsDayPage();
const headers = { 'content-type': 'application/json', 'content-length': String(page.length) };

const server = createServer((req, res) => {
  if (!req.url?.startsWith('/v3/users/self/egvs')) return void res.writeHead(404).end();
  if (!req.headers.authorization?.startsWith('Bearer ')) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
  res.writeHead(200, headers).end(page);
});
// Keep idle connections longer than the pause between two benchmark blocks.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  announceServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => server.close());
});
