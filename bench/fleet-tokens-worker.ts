/**
 * One worker process of the fleet-tokens benchmark: a client on a shared PostgresTokenStore that,
 * on each `go` from the runner, makes `calls` concurrent reads for the same user and reports how
 * many failed. Started by bench/fleet-tokens.ts over IPC.
 */
import { DexcomApiClient } from '../src/index.js';
import { PostgresTokenStore } from '../src/stores/postgres/token-store.js';

const [url, schema, baseUrl, clientId, clientSecret, callsText] = process.argv.slice(2) as [string, string, string, string, string, string];
const calls = Number(callsText);
const tokenStore = new PostgresTokenStore({ url, schema, lockTimeoutMs: 30_000 });
const user = new DexcomApiClient({
  baseUrl,
  rateLimit: false,
  oauth: { clientId, clientSecret, tokenStore },
}).forUser('fleet-user');

process.on('message', (message: { go?: number; stop?: true }) => {
  if (message.stop) {
    void tokenStore.close().then(() => process.exit(0));
    return;
  }
  void (async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: calls }, () => user.getDevices()));
    const failed = outcomes.filter((o) => o.status === 'rejected');
    process.send!({ round: message.go, ok: outcomes.length - failed.length, failed: failed.length, errors: [...new Set(failed.map((f) => String((f as PromiseRejectedResult).reason?.code)))] });
  })();
});
await tokenStore.migrate();
process.send!({ ready: true });
