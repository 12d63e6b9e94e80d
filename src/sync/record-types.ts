import { operationMetadata } from '../../generated/dexcom-spec-metadata.gen.js';
import type { Alert, Calibration, Egv, Event } from '../../generated/types.gen.js';
import { DexcomValidationError } from '../core/errors.js';

/**
 * The record type each windowed v3 data endpoint returns, keyed by the name used in `iterate` and
 * `sync` (the path segment of the endpoint, as `dataRange` names them too).
 *
 * @example
 * type Reading = SyncRecordMap['egvs']; // Egv
 */
export interface SyncRecordMap {
  egvs: Egv;
  calibrations: Calibration;
  events: Event;
  alerts: Alert;
}

/**
 * A windowed v3 record type: `'egvs' | 'calibrations' | 'events' | 'alerts'`.
 *
 * @example
 * const type: SyncRecordType = 'calibrations';
 *
 * @example
 * const ids = (records: SyncRecord[]) => records.map((r) => r.recordId);
 */
export type SyncRecordType = keyof SyncRecordMap;

/** Any record `iterate` or `sync` can deliver. */
export type SyncRecord = SyncRecordMap[SyncRecordType];

/**
 * Every record type, in the order `sync` walks them by default.
 *
 * @example
 * await dexcom.sync({ types: SYNC_RECORD_TYPES.filter((t) => t !== 'alerts'), checkpointStore, handler });
 */
export const SYNC_RECORD_TYPES = ['egvs', 'calibrations', 'events', 'alerts'] as const satisfies readonly SyncRecordType[];

/**
 * The v3 operation behind each record type: the one table `get*`, `iterate`, `sync` and the window
 * limit read. Its spec metadata holds the window limit.
 *
 * @example
 * OPERATION_BY_TYPE.egvs; // 'getEstimatedGlucoseValuesV3'
 */
export const OPERATION_BY_TYPE = {
  egvs: 'getEstimatedGlucoseValuesV3',
  calibrations: 'getCalibrationsV3',
  events: 'getEventsV3',
  alerts: 'getAlertsV3',
} as const satisfies Record<SyncRecordType, keyof typeof operationMetadata>;

/**
 * The longest range one request for `type` may cover, in days, read from the spec's
 * `x-dexcom-max-window-days` (30 for v3 today): change the spec, regenerate, and the planner follows.
 *
 * @example
 * maxWindowDaysOf('egvs'); // 30
 */
export function maxWindowDaysOf(type: SyncRecordType): number {
  return operationMetadata[OPERATION_BY_TYPE[type]].maxWindowDays;
}

/**
 * Throws a {@link DexcomValidationError} unless `value` is one of {@link SYNC_RECORD_TYPES}.
 *
 * @example
 * assertSyncRecordType('glucose'); // throws: unknown record type 'glucose'; use one of egvs, calibrations, events, alerts
 */
export function assertSyncRecordType(value: unknown): asserts value is SyncRecordType {
  if (typeof value !== 'string' || !(SYNC_RECORD_TYPES as readonly string[]).includes(value)) {
    throw new DexcomValidationError(
      `unknown record type ${JSON.stringify(value)}; use one of ${SYNC_RECORD_TYPES.join(', ')}, e.g. dexcom.iterate('egvs', { start, end })`,
    );
  }
}
