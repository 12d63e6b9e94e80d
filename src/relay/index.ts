/**
 * The webhook relay: `createRelay()` polls Dexcom for every connected user within the app's quota
 * and delivers what is new as signed Standard Webhooks, durably, retried and in order.
 *
 * @example
 * import { createRelay } from 'dexcom-api-client/relay';
 * const relay = await createRelay({ dexcom, database });
 * await relay.start();
 */
export { createRelay, type RelayOptions } from './create-relay.js';
export { DEFAULT_RELAY_SCHEMA } from './management/migrations.js';
export { createRelayEngine, type RelayEngine, type RelayEngineOptions, resolveRelayEngineOptions } from './relay-engine.js';
export { FAILING_DISABLE_AFTER_MS, type RelayEngineEvent } from './delivery/delivery-worker.js';
export { RETRY_SCHEDULE_MS } from './delivery/retry-schedule.js';
export { checkTarget, createGuardUrl, guardUrl, refusalReasonOf, SsrfRefusedError, type AddressResolver, type SsrfGuardOptions } from './delivery/ssrf-guard.js';
export { MAX_RECORDS_PER_EVENT } from './outbox/outbox-writer.js';
export { relayDeliveryMigrations } from './outbox/delivery-migrations.js';
export { DEFAULT_POLL_INTERVAL_MS, DEFAULT_QUOTA_HEADROOM, DEFAULT_QUOTA_PER_HOUR } from './polling/poll-planner.js';
export type * from './relay-types.js';
export { isRelayError, RelayError, RelayValidationError, RelayNotFoundError, RelayConflictError } from './errors.js';
