import type { LoggerLike } from '../../../plugins/logging.js';
import type { DexcomApiClient } from '../../client.js';
import { isDexcomError } from '../../core/errors.js';
import type { CheckpointStore } from '../../sync/checkpoint.js';
import type { Database } from '../../stores/postgres/database.js';
import type { RelayMetrics } from '../metrics/relay-metrics.js';
import { writeBatchToOutbox, type OutboxWrite } from '../outbox/outbox-writer.js';
import { desiredIntervalMs, nextPollDelayMs, pollCallsOf, type PollPlannerSettings, updatedPollCost } from './poll-planner.js';
import { POLL_HEARTBEAT_MS, type PollStateStore } from './poll-state.js';

/** What a poll needs. */
export interface PollDeps {
  readonly dexcom: DexcomApiClient;
  readonly database: Database;
  /** Quoted schema. */
  readonly schema: string;
  readonly checkpointStore: CheckpointStore;
  readonly state: PollStateStore;
  readonly settings: PollPlannerSettings;
  readonly metrics: RelayMetrics;
  readonly logger?: LoggerLike;
  readonly now: () => Date;
  readonly random?: () => number;
  /** The current quota stretch (1 while the fleet fits in the quota). */
  readonly stretch: () => number;
  /** Called after a batch reached the outbox (wakes the delivery worker). */
  readonly onWritten?: (write: OutboxWrite) => void;
}

/** How a poll ended. */
export interface PollResult {
  /** `skipped` when another poll holds the user (then `nextPollAt` is when its hold runs out) or the connection is not active. */
  readonly outcome: 'data' | 'idle' | 'error' | 'reauthorization_required' | 'skipped';
  /** When the next poll is due; undefined when the user must not be polled again. */
  readonly nextPollAt: Date | undefined;
  readonly calls: number;
  readonly events: number;
}

/**
 * Polls one user once: `dexcom.forUser(userKey).sync(...)` with a handler that writes every batch
 * to the outbox before the checkpoint moves, then plans the next poll from the user's idleness and
 * the fleet's quota stretch. A user whose refresh token Dexcom refused is marked
 * `reauthorization_required` and not polled again until they sign in again.
 *
 * @example
 * const result = await pollUser('patient-42', deps);
 * if (result.nextPollAt) await queue.schedule('patient-42', result.nextPollAt);
 */
export async function pollUser(userKey: string, deps: PollDeps): Promise<PollResult> {
  const started = deps.now();
  const leased = await deps.state.lease(userKey, started, deps.settings.pollIntervalMs);
  // Another poll holds the user: come back when its lease would run out (it renews while alive).
  if ('refused' in leased) return { outcome: 'skipped', nextPollAt: leased.refused === 'busy' ? leased.until : undefined, calls: 0, events: 0 };
  const heartbeat = setInterval(() => void deps.state.renew(userKey, deps.now()).catch(() => {}), POLL_HEARTBEAT_MS);
  heartbeat.unref();
  let events = 0;
  let found = false;
  const handler = async (batch: Parameters<typeof writeBatchToOutbox>[0]) => {
    if (batch.upserts.length > 0 || batch.deletions.length > 0) found = true;
    const write = await writeBatchToOutbox(batch, { database: deps.database, schema: deps.schema, userKey, now: deps.now });
    events += write.events;
    if (write.events > 0) deps.onWritten?.(write);
  };
  let calls = 0;
  let error: unknown;
  let cost = leased.cost;
  try {
    const report = await deps.dexcom.forUser(userKey).sync({ checkpointStore: deps.checkpointStore, handler, now: deps.now });
    calls = pollCallsOf(report);
    cost = updatedPollCost(leased.cost, calls, report.types.length);
  } catch (caught) {
    error = caught;
  } finally {
    clearInterval(heartbeat);
  }
  const now = deps.now();
  const lastDataAt = found ? now : (leased.lastDataAt ?? started);
  const desired = desiredIntervalMs(now.getTime() - lastDataAt.getTime(), deps.settings);
  deps.metrics.dexcomCalls.inc(calls);
  const reauthorization = isDexcomError(error) && error.code === 'reauthorization_required';
  const outcome: PollResult['outcome'] = reauthorization ? 'reauthorization_required' : error ? 'error' : found ? 'data' : 'idle';
  const nextPollAt = reauthorization ? undefined : new Date(now.getTime() + nextPollDelayMs(desired, deps.stretch(), deps.random));
  const code = error === undefined ? null : isDexcomError(error) ? error.code : 'internal';
  await deps.state.finish(userKey, { now, cost, lastDataAt, desiredIntervalMs: desired, nextPollAt: nextPollAt ?? null, error: code, reauthorizationRequired: reauthorization });
  deps.metrics.polls.inc({ outcome });
  // The user key is the application's id for a person: logged as the relay's own key, never Dexcom's userId or any record.
  const fields = { event: 'relay.poll', outcome, userKey, calls, events, error: code };
  if (error) deps.logger?.warn(fields, 'poll failed');
  else deps.logger?.debug(fields, 'poll finished');
  return { outcome, nextPollAt, calls, events };
}
