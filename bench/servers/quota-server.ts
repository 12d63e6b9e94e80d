/**
 * A Dexcom-like egvs server with a quota: `GET /v3/users/self/egvs` (bearer token, startDate and
 * endDate at most 30 days apart) answers records from the deterministic fake data, or 429 with
 * `Retry-After` once the sliding-window quota is used up. `GET /__stats` reports the admitted
 * arrival times and the 429 count; `POST /__reset` clears them. Neither counts against the quota.
 *
 *   npx tsx bench/servers/quota-server.ts --limit 20 --window-ms 1000
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeDexcomData } from '../../test/support/fake-dexcom-server.js';
import { numberOption } from '../support/bench-process.js';
import { announceServer } from '../support/server-process.js';
import { SlidingWindowQuota } from '../support/sliding-window-quota.js';

const DAY = 86_400_000;
const DEXCOM_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const quota = new SlidingWindowQuota(numberOption('limit', 20), numberOption('window-ms', 1_000));
const data = new FakeDexcomData({ dataStart: new Date('2015-01-01T00:00:00Z'), dataEnd: new Date('2030-01-01T00:00:00Z') });

/** Serialised pages by query: every user asks for the same windows, and the server is not what is measured. */
const pages = new Map<string, Buffer>();
const MAX_PAGES = 64;

function page(startDate: string, endDate: string): Buffer | undefined {
  const key = `${startDate}/${endDate}`;
  const cached = pages.get(key);
  if (cached) return cached;
  const from = Date.parse(`${startDate}Z`);
  const to = Date.parse(`${endDate}Z`);
  if (!(to > from) || to - from > 30 * DAY) return undefined;
  // Dexcom's bounds as the fake server has them: records with startDate <= systemTime <= endDate.
  const records = data.recordsIn('egvs', from, to + 1_000);
  const body = Buffer.from(JSON.stringify({ recordType: 'egv', recordVersion: '3.0', userId: 'fake-user', records }));
  if (pages.size >= MAX_PAGES) pages.delete(pages.keys().next().value!);
  pages.set(key, body);
  return body;
}

const json = { 'content-type': 'application/json' };
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/__stats') return void res.writeHead(200, json).end(JSON.stringify(quota.stats()));
  if (url.pathname === '/__reset') {
    quota.reset();
    return void res.writeHead(204).end();
  }
  if (url.pathname !== '/v3/users/self/egvs') return void res.writeHead(404, json).end('{"error":"not_found"}');
  if (!req.headers.authorization?.startsWith('Bearer ')) return void res.writeHead(401, json).end('{"error":"unauthorized"}');
  const verdict = quota.admit(performance.now());
  if (!verdict.admitted) {
    const retryAfter = String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1_000)));
    return void res.writeHead(429, { ...json, 'retry-after': retryAfter }).end('{"error":"too_many_requests"}');
  }
  const startDate = url.searchParams.get('startDate') ?? '';
  const endDate = url.searchParams.get('endDate') ?? '';
  const body = DEXCOM_DATE.test(startDate) && DEXCOM_DATE.test(endDate) ? page(startDate, endDate) : undefined;
  if (!body) return void res.writeHead(400, json).end('{"error":"invalid_request"}');
  res.writeHead(200, { ...json, 'content-length': String(body.length) }).end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  announceServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => server.close());
});
