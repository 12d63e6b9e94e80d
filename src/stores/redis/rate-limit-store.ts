import { createHash } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { DexcomConfigurationError } from '../../core/errors.js';
import {
  gcraParameters,
  type RateLimitSnapshot,
  type RateLimitStore,
  type Reservation,
  type TokenBucketShape,
} from '../../../plugins/rate-limit-store.js';
import { GCRA_SCRIPT } from './gcra-script.js';

/** The few node-redis client methods the store uses (a `createClient()` client has them all). */
export interface RedisScriptClient {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * Where the shared bucket lives: a `redis://` URL (the store opens a connection and `close()`
 * closes it) or your connected node-redis `client` (left open), and the bucket's `key`.
 */
export type RedisRateLimitStoreOptions = (
  | { url: string; client?: never }
  | { client: RedisScriptClient | RedisClientType; url?: never }
) & {
  /**
   * The Redis key of the bucket; every process of one app uses the same key.
   * @default 'dexcom:rate-limit'
   */
  key?: string;
  /**
   * With `url`: how long one connection attempt may take, in ms.
   * @default 2_000
   */
  connectTimeoutMs?: number;
};

/** Validated {@link RedisRateLimitStoreOptions}. */
export interface ResolvedRedisRateLimitStoreOptions {
  readonly url: string | undefined;
  readonly client: RedisScriptClient | undefined;
  readonly key: string;
  readonly connectTimeoutMs: number;
}

const EXAMPLE = "e.g. new RedisRateLimitStore({ url: 'redis://127.0.0.1:6379', key: 'dexcom:rate-limit' })";

/**
 * Validates the Redis store's options once (pure; nothing is connected).
 *
 * @throws DexcomConfigurationError with a correct example.
 * @example
 * resolveRedisRateLimitStoreOptions({ url: 'redis://127.0.0.1:6379' }); // key 'dexcom:rate-limit'
 */
export function resolveRedisRateLimitStoreOptions(options: RedisRateLimitStoreOptions): ResolvedRedisRateLimitStoreOptions {
  if (typeof options !== 'object' || options === null) throw new DexcomConfigurationError(`RedisRateLimitStore needs options, ${EXAMPLE}`);
  const { url, client } = options as { url?: unknown; client?: unknown };
  if ((url === undefined) === (client === undefined)) {
    throw new DexcomConfigurationError(`RedisRateLimitStore takes exactly one of url or client, ${EXAMPLE}`);
  }
  if (url !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(String(url)).protocol;
    } catch {
      // Never echo the URL: it may hold a password.
      throw new DexcomConfigurationError(`RedisRateLimitStore url is not a URL, ${EXAMPLE}`);
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      throw new DexcomConfigurationError(`RedisRateLimitStore url must start with redis:// or rediss:// (got ${protocol}//), ${EXAMPLE}`);
    }
  }
  if (client !== undefined && (typeof (client as RedisScriptClient).evalSha !== 'function' || typeof (client as RedisScriptClient).eval !== 'function')) {
    throw new DexcomConfigurationError(`RedisRateLimitStore client must be a node-redis client (createClient()), ${EXAMPLE}`);
  }
  const key = options.key ?? 'dexcom:rate-limit';
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
    throw new DexcomConfigurationError(`RedisRateLimitStore key must be a string of 1 to 256 characters, ${EXAMPLE}`);
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1 || connectTimeoutMs > 60_000) {
    throw new DexcomConfigurationError(`RedisRateLimitStore connectTimeoutMs must be an integer from 1 to 60000, e.g. { connectTimeoutMs: 2_000 }`);
  }
  return { url: url as string | undefined, client: client as RedisScriptClient | undefined, key, connectTimeoutMs };
}

const SCRIPT_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

/**
 * A {@link RateLimitStore} in Redis, shared by every process that uses the same `key`: one Lua
 * script (GCRA on Redis `TIME`) makes each reservation one atomic round trip, and a 429 seen by
 * any process pauses them all until its `Retry-After`. After a Redis restart (scripts flushed)
 * the script is sent again; `NOSCRIPT` never reaches the caller. While Redis is unreachable its
 * calls reject at once (no offline queue), and the rate limiter runs on its local share.
 *
 * `redis` (node-redis) is an optional peer dependency, loaded only by `{ url }`.
 *
 * @example
 * const store = new RedisRateLimitStore({ url: 'redis://127.0.0.1:6379', key: 'dexcom:my-app' });
 * const dexcom = new DexcomApiClient({ rateLimit: { store, expectedWorkers: 8, capacity: 10, refillPerInterval: 60_000, intervalMs: 3_600_000 } });
 * await store.close();
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #options: ResolvedRedisRateLimitStoreOptions;
  #client: Promise<RedisScriptClient> | undefined;
  #owned: RedisClientType | undefined;

  constructor(options: RedisRateLimitStoreOptions) {
    this.#options = resolveRedisRateLimitStoreOptions(options);
    if (this.#options.client) this.#client = Promise.resolve(this.#options.client);
  }

  /** @inheritDoc */
  async reserve(bucket: TokenBucketShape): Promise<Reservation> {
    const [wait, cooling] = (await this.#run(bucket, 'reserve', 0)) as [string, number];
    const waitMs = Number(wait);
    if (!(waitMs > 0)) return { waitMs: 0 };
    return { waitMs, reason: Number(cooling) === 1 ? 'cool-down' : 'bucket-empty' };
  }

  /** @inheritDoc */
  async pause(bucket: TokenBucketShape, until: number, now: number): Promise<void> {
    if (until <= now) return;
    await this.#run(bucket, 'pause', until - now);
  }

  /** @inheritDoc */
  async snapshot(bucket: TokenBucketShape, now: number): Promise<RateLimitSnapshot> {
    const [tokens, pausedFor] = (await this.#run(bucket, 'snapshot', 0)) as [string, string];
    const pausedMs = Number(pausedFor);
    return { tokens: Number(tokens), pausedUntil: pausedMs > 0 ? now + pausedMs : undefined };
  }

  /** Closes the connection this store opened (a `client` passed in stays open). */
  async close(): Promise<void> {
    const owned = this.#owned;
    this.#owned = undefined;
    this.#client = undefined;
    if (owned?.isOpen) owned.destroy();
  }

  async #run(bucket: TokenBucketShape, op: 'reserve' | 'pause' | 'snapshot', pauseMs: number): Promise<unknown> {
    const client = await this.#connection();
    const { emissionMs, toleranceMs } = gcraParameters(bucket);
    const args = { keys: [this.#options.key], arguments: [op, String(emissionMs), String(toleranceMs), String(Math.ceil(pauseMs))] };
    try {
      return await client.evalSha(SCRIPT_SHA, args);
    } catch (error) {
      // Redis restarted or its script cache was flushed: EVAL sends the script and caches it again.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return client.eval(GCRA_SCRIPT, args);
      throw error;
    }
  }

  #connection(): Promise<RedisScriptClient> {
    this.#client ??= this.#open().catch((error: unknown) => {
      // A client that failed its first connection keeps reconnecting: later calls use it (and
      // fail fast until it is back) rather than opening another.
      const owned = this.#owned;
      this.#client = owned ? Promise.resolve(owned as unknown as RedisScriptClient) : undefined;
      throw error;
    });
    return this.#client;
  }

  async #open(): Promise<RedisScriptClient> {
    const { createClient } = await import('redis').catch((error: unknown) => {
      throw Object.assign(new DexcomConfigurationError('RedisRateLimitStore needs the optional peer dependency redis: npm install redis'), { cause: error });
    });
    const client = createClient({
      url: this.#options.url,
      // Fail commands at once while disconnected instead of queueing them: the limiter then
      // falls back to its local share rather than waiting on a dead server.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.#options.connectTimeoutMs,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
      },
    }) as RedisClientType;
    this.#owned = client;
    let firstError: ((error: unknown) => void) | undefined;
    // node-redis reports every failed (re)connection here; without a listener it would crash the process.
    client.on('error', (error: unknown) => firstError?.(error));
    try {
      await new Promise<void>((resolve, reject) => {
        firstError = reject;
        client.connect().then(() => resolve(), reject);
      });
    } catch (error) {
      // Keep reconnecting in the background; the next call finds the client ready or fails fast.
      firstError = undefined;
      throw error;
    }
    firstError = undefined;
    return client as unknown as RedisScriptClient;
  }
}
