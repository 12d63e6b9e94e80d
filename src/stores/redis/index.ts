/**
 * `dexcom-api-client/redis`: fleet state in Redis (node-redis, an optional peer dependency).
 */
export {
  RedisRateLimitStore,
  resolveRedisRateLimitStoreOptions,
  type RedisRateLimitStoreOptions,
  type RedisScriptClient,
  type ResolvedRedisRateLimitStoreOptions,
} from './rate-limit-store.js';
