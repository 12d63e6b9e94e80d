/**
 * The sync-throughput scenarios. Each reads EGVs through the SDK from the quota server (Q requests
 * per sliding second, 429 above) with the client limited to Q (capacity 1, see the limiter
 * fidelity section), consuming records as they come and keeping none.
 */
import { DexcomApiClient, InMemoryRateLimitStore, InMemoryTokenStore, type RateLimitOptions } from '../../src/index.js';

/** Requests per second the server allows and the client is limited to. */
export const QUOTA_PER_SECOND = 20;

const DAY = 86_400_000;
const END = new Date('2024-06-01T00:00:00Z');

/** The outcome of reading one scenario's data. */
export interface SyncRun {
  /** Records delivered to the consumer (each record once per user). */
  readonly records: number;
}

/** One scenario: what it reads and how. */
export interface SyncScenario {
  readonly name: string;
  /** How the users share the quota, in words for the report. */
  readonly how: string;
  /** Reads everything; the quota server is at `baseUrl`. */
  run(baseUrl: string): Promise<SyncRun>;
}

function limit(store?: InMemoryRateLimitStore): RateLimitOptions {
  return { capacity: 1, refillPerInterval: QUOTA_PER_SECOND, intervalMs: 1_000, maxQueue: 10_000, ...(store ? { store } : {}) };
}

/** Counts the records of an iteration without keeping them. */
async function drain(records: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of records) count++;
  return count;
}

const USERS = 100;
const userKeys = Array.from({ length: USERS }, (_, i) => `patient-${String(i).padStart(3, '0')}`);

/** A client whose 100 users' tokens are already in its token store (fresh for two hours: no refresh). */
async function oauthClient(baseUrl: string): Promise<DexcomApiClient> {
  const tokenStore = new InMemoryTokenStore();
  const now = Date.now();
  for (const userKey of userKeys) {
    await tokenStore.compareAndSet(userKey, undefined, {
      accessToken: `token-${userKey}`,
      refreshToken: `refresh-${userKey}`,
      expiresAt: now + 2 * 3_600_000,
      environment: baseUrl,
      version: 1,
      reauthorizationRequired: false,
      updatedAt: now,
    });
  }
  return new DexcomApiClient({ baseUrl, rateLimit: limit(), oauth: { clientId: 'bench-app', clientSecret: 'bench-secret', tokenStore } });
}

/**
 * The scenarios, in the order reported.
 *
 * @example
 * for (const scenario of SYNC_SCENARIOS) await scenario.run(server.url);
 */
export const SYNC_SCENARIOS: readonly SyncScenario[] = [
  {
    name: '1 user × 365 days',
    how: 'dexcom.iterate("egvs", { concurrency: 4 }): 13 windows of ≤ 30 days',
    async run(baseUrl) {
      const dexcom = new DexcomApiClient({ baseUrl, accessToken: 'bench', rateLimit: limit() });
      return { records: await drain(dexcom.iterate('egvs', { start: new Date(END.getTime() - 365 * DAY), end: END, concurrency: 4 })) };
    },
  },
  {
    name: '100 users × 30 days, forUser views',
    how: 'one OAuth client, dexcom.forUser(user).iterate("egvs") for all 100 at once: one pipeline, one limiter queue, one quota',
    async run(baseUrl) {
      const dexcom = await oauthClient(baseUrl);
      const counts = await Promise.all(
        userKeys.map((userKey) => drain(dexcom.forUser(userKey).iterate('egvs', { start: new Date(END.getTime() - 30 * DAY), end: END }))),
      );
      return { records: counts.reduce((a, b) => a + b, 0) };
    },
  },
  {
    name: '100 users × 30 days, 100 clients',
    how: '100 DexcomApiClient instances, one access token each, sharing one InMemoryRateLimitStore (rateLimit.store)',
    async run(baseUrl) {
      const store = new InMemoryRateLimitStore();
      const counts = await Promise.all(
        userKeys.map((userKey) => {
          const dexcom = new DexcomApiClient({ baseUrl, accessToken: `token-${userKey}`, rateLimit: limit(store) });
          return drain(dexcom.iterate('egvs', { start: new Date(END.getTime() - 30 * DAY), end: END }));
        }),
      );
      return { records: counts.reduce((a, b) => a + b, 0) };
    },
  },
];
