import { Registry } from 'prom-client';
import type { LoggerLike } from '../../plugins/logging.js';
import type { DexcomApiClient } from '../client.js';
import { DexcomConfigurationError } from '../core/errors.js';
import type { Database } from '../stores/postgres/database.js';
import { migrate, quoteSchema } from '../stores/postgres/migrations.js';
import type { CheckpointStore } from '../sync/checkpoint.js';
import { PostgresCheckpointStore } from '../stores/postgres/checkpoint-store.js';
import { DeliveryWorker, type RelayEngineEvent } from './delivery/delivery-worker.js';
import { type AddressResolver, createGuardUrl } from './delivery/ssrf-guard.js';
import { createRelayMetrics, type RelayMetrics } from './metrics/relay-metrics.js';
import { DEFAULT_RELAY_SCHEMA } from './management/migrations.js';
import { relayDeliveryMigrations } from './outbox/delivery-migrations.js';
import {
  DEFAULT_MAX_IDLE_INTERVAL_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_QUOTA_HEADROOM,
  DEFAULT_QUOTA_PER_HOUR,
  type PollPlannerSettings,
} from './polling/poll-planner.js';
import { PollScheduler } from './polling/poll-scheduler.js';
import { PollStateStore } from './polling/poll-state.js';
import { pollUser, type PollResult } from './polling/poll-user.js';
import { PollQueue } from './queue/poll-queue.js';
import type { DeliveryAttempt } from './relay-types.js';


/** Options of {@link createRelayEngine}; `createRelay` passes its own through. */
export interface RelayEngineOptions {
  /** A client with `oauth` configured; polls go through `dexcom.forUser(userKey)`. */
  readonly dexcom: DexcomApiClient;
  readonly database: Database;
  /** Default `'dexcom_relay'`; pg-boss uses `<schema>_queue`. */
  readonly schema?: string;
  /** Shortest interval between two polls of one user. Default 5 minutes. */
  readonly pollIntervalMs?: number;
  /** Longest interval for a user without new data. Default 60 minutes (at least `pollIntervalMs`). */
  readonly maxIdleIntervalMs?: number;
  /** The app's Dexcom quota, calls per hour. Default 60,000. */
  readonly quota?: number;
  /** Share of the quota kept free. Default 0.2. */
  readonly quotaHeadroom?: number;
  /** Allow webhooks to loopback and private addresses (never cloud metadata). Default false. */
  readonly allowPrivateTargets?: boolean;
  /** Sync checkpoints. Default: a `PostgresCheckpointStore` in `schema` of `database`. */
  readonly checkpointStore?: CheckpointStore;
  readonly logger?: LoggerLike;
  /** A prom-client registry for the relay's metrics. Default: a new private one. */
  readonly metrics?: Registry;
  /** The clock. Default `() => new Date()`. */
  readonly now?: () => Date;
  /** DNS for the SSRF guard. Default the system's. */
  readonly resolve?: AddressResolver;
  /** Hears about disabled subscriptions and dead letters. */
  readonly onEvent?: (event: RelayEngineEvent) => void;
  /** Polls at once per process. Default 4. */
  readonly pollConcurrency?: number;
}

/** The engine side of a relay: polling, outbox, delivery. */
export interface RelayEngine {
  /** The registration-time SSRF check for the management side. */
  readonly guardUrl: (url: string) => Promise<void>;
  /** For `createManagement({ hooks })`. */
  readonly hooks: { connected(userKey: string): Promise<void>; disconnected(userKey: string): Promise<void> };
  readonly metricsRegistry: Registry;
  readonly metricsSet: RelayMetrics;
  readonly worker: DeliveryWorker;
  replay(id: string, since: Date): Promise<{ readonly queued: number } | undefined>;
  deliveries(id: string, options?: { readonly limit?: number }): Promise<DeliveryAttempt[] | undefined>;
  /** One poll of one user now (tests, tools); the queue does this on schedule. */
  pollNow(userKey: string): Promise<PollResult>;
  metrics(): Promise<string>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Resolves the engine's options: defaults filled in, bad values refused with an example.
 *
 * @example
 * resolveRelayEngineOptions({ dexcom, database }).settings.pollIntervalMs; // 300_000
 */
export function resolveRelayEngineOptions(options: RelayEngineOptions): { schema: string; settings: PollPlannerSettings } {
  const example = "e.g. createRelay({ dexcom, database, pollIntervalMs: 300_000, quota: 60_000 })";
  if (typeof options !== 'object' || options === null) throw new DexcomConfigurationError(`createRelay needs options, ${example}`);
  if (typeof options.dexcom?.forUser !== 'function') throw new DexcomConfigurationError(`dexcom must be a DexcomApiClient with oauth, ${example}`);
  if (typeof options.database?.query !== 'function') throw new DexcomConfigurationError(`database must be a Database from openDatabase(), ${example}`);
  const schema = options.schema ?? DEFAULT_RELAY_SCHEMA;
  quoteSchema(schema);
  const positive = (value: number | undefined, name: string, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw new DexcomConfigurationError(`${name} must be a number >= ${min} (got ${String(value)}), ${example}`);
    return value;
  };
  const pollIntervalMs = positive(options.pollIntervalMs, 'pollIntervalMs', DEFAULT_POLL_INTERVAL_MS, 1_000);
  const headroom = options.quotaHeadroom ?? DEFAULT_QUOTA_HEADROOM;
  if (typeof headroom !== 'number' || !(headroom >= 0 && headroom < 1)) throw new DexcomConfigurationError(`quotaHeadroom must be from 0 to below 1 (got ${String(headroom)}), e.g. { quotaHeadroom: 0.2 }`);
  return {
    schema,
    settings: {
      pollIntervalMs,
      maxIdleIntervalMs: Math.max(pollIntervalMs, positive(options.maxIdleIntervalMs, 'maxIdleIntervalMs', DEFAULT_MAX_IDLE_INTERVAL_MS, 1_000)),
      quotaPerHour: positive(options.quota, 'quota', DEFAULT_QUOTA_PER_HOUR, 1),
      headroom,
    },
  };
}

/**
 * Creates the relay's engine on `database` (its tables migrated, component `relay-delivery`):
 * quota-aware polls scheduled with pg-boss, a sync handler writing to the outbox, and the delivery
 * worker. `createRelay` composes it with the management side.
 *
 * @example
 * const engine = await createRelayEngine({ dexcom, database, allowPrivateTargets: true });
 * await engine.start();
 */
export async function createRelayEngine(options: RelayEngineOptions): Promise<RelayEngine> {
  const { schema, settings } = resolveRelayEngineOptions(options);
  const quoted = quoteSchema(schema);
  const now = options.now ?? (() => new Date());
  await migrate(options.database, schema, relayDeliveryMigrations);
  const registry = options.metrics ?? new Registry();
  const metrics = createRelayMetrics(registry);
  const worker = new DeliveryWorker({
    database: options.database,
    schema: quoted,
    metrics,
    now,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.allowPrivateTargets !== undefined ? { allowPrivateTargets: options.allowPrivateTargets } : {}),
    ...(options.resolve ? { resolve: options.resolve } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const state = new PollStateStore(options.database, quoted);
  // Checkpoints live next to the outbox, so a restart resumes where each user's sync stopped.
  const checkpointStore = options.checkpointStore ?? new PostgresCheckpointStore({ database: options.database, schema });
  let scheduler: PollScheduler | undefined;
  const pollNow = (userKey: string): Promise<PollResult> =>
    pollUser(userKey, {
      dexcom: options.dexcom,
      database: options.database,
      schema: quoted,
      checkpointStore,
      state,
      settings,
      metrics,
      now,
      stretch: () => scheduler?.stretch() ?? 1,
      onWritten: () => worker.wake(),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  const queue = new PollQueue({
    database: options.database,
    schema: `${schema}_queue`,
    poll: async (userKey) => (await pollNow(userKey)).nextPollAt,
    ...(options.pollConcurrency !== undefined ? { concurrency: options.pollConcurrency } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  scheduler = new PollScheduler({ queue, state, settings, metrics, now, ...(options.logger ? { logger: options.logger } : {}) });
  let started = false;
  return {
    guardUrl: createGuardUrl({ allowPrivateTargets: options.allowPrivateTargets === true, ...(options.resolve ? { resolve: options.resolve } : {}) }),
    hooks: {
      connected: async (userKey) => {
        if (started) await scheduler?.connected(userKey);
      },
      disconnected: async (userKey) => scheduler?.disconnected(userKey),
    },
    metricsRegistry: registry,
    metricsSet: metrics,
    worker,
    async replay(id, since) {
      const queued = await worker.store.replay(id, since, now());
      if (queued !== undefined && queued > 0) worker.wake();
      return queued === undefined ? undefined : { queued };
    },
    deliveries: (id, o) => worker.store.attempts(id, Math.min(Math.max(1, o?.limit ?? 100), 1_000)),
    pollNow,
    async metrics() {
      const { pending, oldestAgeMs } = await worker.store.backlog(now());
      metrics.queueDepth.set(pending);
      metrics.oldestUndeliveredAge.set(oldestAgeMs / 1000);
      return registry.metrics();
    },
    async start() {
      if (started) return;
      await queue.start();
      started = true;
      await scheduler?.start();
      worker.start();
    },
    async stop() {
      if (!started) return;
      started = false;
      await scheduler?.stop();
      await queue.stop();
      await worker.stop();
    },
  };
}
