import type { DataRangeResponse } from '../../generated/types.gen.js';
import { DAY_MS, type TimeWindow } from '../dates.js';
import { DexcomInvalidResponseError } from '../core/errors.js';
import { parseDexcomTimestamp } from '../timestamps.js';
import type { SyncRecordType } from './record-types.js';

/**
 * `lastSyncTime` is only sent when it is this recent. Tidepool (2024) found `dataRange` gives wrong
 * results for a `lastSyncTime` more than about 100 days old and only sends it within 30 days; older
 * checkpoints ask `dataRange` without it and walk from the checkpoint instead.
 *
 * @example
 * const sendLastSyncTime = Date.now() - checkpointMs < LAST_SYNC_TIME_MAX_AGE_MS;
 */
export const LAST_SYNC_TIME_MAX_AGE_MS = 30 * DAY_MS;

/** The record types `dataRange` reports (it has no `alerts` entry). */
const RANGED_TYPES = ['egvs', 'calibrations', 'events'] as const;
type RangedType = (typeof RANGED_TYPES)[number];

/**
 * What one sync run knows before its first request.
 *
 * @example
 * const state: SyncRunState = { types: ['egvs'], syncedUntil: new Map(), overlapMs: 10_800_000, startMs: undefined, nowMs: Date.now() };
 */
export interface SyncRunState {
  /** The types to sync, in order. */
  readonly types: readonly SyncRecordType[];
  /** `syncedUntil` of each type's checkpoint, in epoch ms; missing before the first sync. */
  readonly syncedUntil: ReadonlyMap<SyncRecordType, number>;
  /** The re-read overlap, in ms (whole seconds). */
  readonly overlapMs: number;
  /** The caller's `start`, in epoch ms, if any. */
  readonly startMs: number | undefined;
  /** The current time, in epoch ms. */
  readonly nowMs: number;
}

/**
 * Whether a run asks `dataRange`, and with which `lastSyncTime`.
 *
 * @example
 * const { needed, lastSyncTime }: DataRangeRequest = planDataRangeRequest(state);
 */
export interface DataRangeRequest {
  readonly needed: boolean;
  readonly lastSyncTime: Date | undefined;
}

/**
 * Decides the run's single `dataRange` request. It is needed for egvs, calibrations and events, and
 * for alerts on their first sync without `start` (to learn where the user's data begins).
 * `lastSyncTime` is the checkpoint: the earliest `syncedUntil` of those types, so the answer covers
 * everything any of them still needs. It is sent only when every one of them has a checkpoint (a
 * first sync needs the absolute range) and it is within {@link LAST_SYNC_TIME_MAX_AGE_MS}; otherwise
 * the absolute range is asked for, which is slower for Dexcom but leads to the same decisions.
 *
 * @example
 * planDataRangeRequest({ types: ['egvs'], syncedUntil: new Map([['egvs', now - 3_600_000]]), overlapMs: 10_800_000, startMs: undefined, nowMs: now });
 * // { needed: true, lastSyncTime: new Date(now - 3_600_000) }
 */
export function planDataRangeRequest(state: SyncRunState): DataRangeRequest {
  const ranged = state.types.filter(isRanged);
  const alertsNeedStart = state.types.includes('alerts') && !state.syncedUntil.has('alerts') && state.startMs === undefined;
  const needed = ranged.length > 0 || alertsNeedStart;
  if (!needed || alertsNeedStart || ranged.some((type) => !state.syncedUntil.has(type))) return { needed, lastSyncTime: undefined };
  const since = floorToSecond(Math.min(...ranged.map((type) => state.syncedUntil.get(type)!)));
  const recent = since <= state.nowMs && state.nowMs - since < LAST_SYNC_TIME_MAX_AGE_MS;
  return { needed, lastSyncTime: recent ? new Date(since) : undefined };
}

/**
 * What to fetch for one type: a range, or why nothing (and where the checkpoint may move).
 *
 * @example
 * const plan: SyncRange = planSyncRange('egvs', state, dataRange, lastSyncTime);
 * if (plan.kind === 'fetch') console.log(plan.window.start, plan.window.end);
 */
export type SyncRange =
  | { readonly kind: 'fetch'; readonly window: TimeWindow }
  | { readonly kind: 'skip'; readonly reason: 'no-data' | 'up-to-date'; readonly advanceTo?: Date };

/**
 * Decides the range one type walks in this run, a pure function of the run state and the
 * `dataRange` answer (`lastSyncTime` says whether it was asked with one):
 * - end: for egvs, calibrations and events, one second after the latest record `dataRange` reports
 *   (windows are end-exclusive), but never past now (a device clock running ahead must not move the
 *   checkpoint into the future, where later data would land behind it); for alerts, which `dataRange`
 *   does not cover, now: alerts are read by time rather than by the EGV range because a `noReadings`
 *   alert fires exactly when EGVs stop arriving.
 * - start: with a checkpoint, `syncedUntil - overlap`, to re-read the tail where late uploads and
 *   revisions land; without one, where `dataRange` says the data begins (alerts: the earliest of any
 *   type). `start`, when given, is a floor on every run.
 * - skip `up-to-date`: nothing ends after the checkpoint (or `dataRange` asked with `lastSyncTime`
 *   reports nothing newer). Skip `no-data`: the absolute `dataRange` has nothing of this type; the
 *   checkpoint may then move to `now - overlap` (`advanceTo`), since data that appears later carries a
 *   recent `systemTime`, and keeping it fresh keeps `lastSyncTime` usable for accounts without, say,
 *   calibrations.
 *
 * @example
 * planSyncRange('egvs', state, dataRange, undefined); // { kind: 'fetch', window: { start, end } }
 */
export function planSyncRange(
  type: SyncRecordType,
  state: SyncRunState,
  dataRange: DataRangeResponse | undefined,
  lastSyncTime: Date | undefined,
): SyncRange {
  const syncedUntil = state.syncedUntil.get(type);
  const nowMs = floorToSecond(state.nowMs);
  let end = nowMs;
  let dataStart: number | undefined;
  if (type === 'alerts') {
    dataStart = earliestStart(dataRange);
  } else {
    const bounds = dataRange?.[type];
    if (!bounds) {
      if (lastSyncTime !== undefined) return { kind: 'skip', reason: 'up-to-date' };
      const advanceTo = nowMs - state.overlapMs;
      return { kind: 'skip', reason: 'no-data', ...(syncedUntil === undefined || advanceTo > syncedUntil ? { advanceTo: new Date(advanceTo) } : {}) };
    }
    const latest = parseDexcomTimestamp(bounds.end.systemTime);
    // An unreadable end cannot be trusted to bound the walk: read up to now, which holds it.
    end = latest === undefined ? nowMs : Math.min(floorToSecond(latest) + 1000, nowMs);
    dataStart = parseDexcomTimestamp(bounds.start.systemTime);
  }
  if (syncedUntil !== undefined && end <= syncedUntil) return { kind: 'skip', reason: 'up-to-date' };
  const base = syncedUntil !== undefined ? syncedUntil - state.overlapMs : type === 'alerts' ? (state.startMs ?? dataStart) : dataStart;
  if (base === undefined && state.startMs === undefined) {
    if (type === 'alerts') return { kind: 'skip', reason: 'no-data' };
    throw new DexcomInvalidResponseError(
      `dataRange.${type}.start.systemTime is not a timestamp (${JSON.stringify(dataRange?.[type]?.start.systemTime)}); pass sync({ start }) to say where to begin`,
      { retryable: false, operationId: 'getDataRangeV3', body: dataRange },
    );
  }
  const start = floorToSecond(Math.max(base ?? Number.NEGATIVE_INFINITY, state.startMs ?? Number.NEGATIVE_INFINITY));
  if (start >= end) return { kind: 'skip', reason: syncedUntil === undefined ? 'no-data' : 'up-to-date' };
  return { kind: 'fetch', window: { start: new Date(start), end: new Date(end) } };
}

function earliestStart(dataRange: DataRangeResponse | undefined): number | undefined {
  const starts = RANGED_TYPES.map((type) => parseDexcomTimestamp(dataRange?.[type]?.start.systemTime))
    .filter((time): time is number => time !== undefined);
  return starts.length === 0 ? undefined : Math.min(...starts);
}

function isRanged(type: SyncRecordType): type is RangedType {
  return (RANGED_TYPES as readonly string[]).includes(type);
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
