import type { SyncReport } from '../../sync/sync.js';

/** Default Dexcom quota of one app: 60,000 calls per hour. */
export const DEFAULT_QUOTA_PER_HOUR = 60_000;

/** Share of the quota polls leave free for token refreshes, retries and backfills: 20 %. */
export const DEFAULT_QUOTA_HEADROOM = 0.2;

/** Default poll interval: 5 minutes (a new EGV every 5 minutes). */
export const DEFAULT_POLL_INTERVAL_MS = 300_000;

/** Default cap on an idle user's interval: 60 minutes, so a late upload is found within the hour. */
export const DEFAULT_MAX_IDLE_INTERVAL_MS = 3_600_000;

/** A user counts as idle after this long without new data: 1 hour. */
export const IDLE_AFTER_MS = 3_600_000;

/** Calls a steady poll costs before any was measured: dataRange, EGVs, alerts. */
export const DEFAULT_POLL_COST = 3;

/** Share of each interval added or removed at random so users spread out: ±10 %. */
export const POLL_JITTER = 0.1;

/** Settings of the quota planner. */
export interface PollPlannerSettings {
  readonly pollIntervalMs: number;
  readonly maxIdleIntervalMs: number;
  readonly quotaPerHour: number;
  readonly headroom: number;
}

/**
 * The interval a user would like, before the quota stretch: the poll interval while data comes in,
 * growing with the time since the last data once idle for an hour (a quarter of it), capped at
 * `maxIdleIntervalMs`; back to the poll interval as soon as data appears.
 *
 * @example
 * desiredIntervalMs(0, settings);              // 300_000
 * desiredIntervalMs(2 * 3_600_000, settings);  // 1_800_000
 */
export function desiredIntervalMs(idleForMs: number, settings: Pick<PollPlannerSettings, 'pollIntervalMs' | 'maxIdleIntervalMs'>): number {
  if (idleForMs < IDLE_AFTER_MS) return settings.pollIntervalMs;
  return Math.max(settings.pollIntervalMs, Math.min(settings.maxIdleIntervalMs, Math.round(idleForMs / 4)));
}

/**
 * How much every interval must stretch so the fleet's polls fit in the quota minus headroom:
 * 1 while they fit, else demand / budget. `demandPerHour` is Σ cost / desired interval over every
 * active user.
 *
 * @example
 * quotaStretch(96_000, { quotaPerHour: 60_000, headroom: 0.2 }); // 2
 */
export function quotaStretch(demandPerHour: number, settings: Pick<PollPlannerSettings, 'quotaPerHour' | 'headroom'>): number {
  const budget = settings.quotaPerHour * (1 - settings.headroom);
  return demandPerHour <= budget ? 1 : demandPerHour / budget;
}

/**
 * The next poll's delay: desired interval × stretch, with ±10 % jitter.
 *
 * @example
 * nextPollDelayMs(300_000, 1, () => 0.5); // 300_000
 */
export function nextPollDelayMs(desiredMs: number, stretch: number, random: () => number = Math.random): number {
  return Math.round(desiredMs * stretch * (1 + POLL_JITTER * (2 * random() - 1)));
}

/**
 * Dexcom calls a sync run made: dataRange when asked, plus one per window read (alerts included).
 *
 * @example
 * pollCallsOf(report); // 3
 */
export function pollCallsOf(report: SyncReport): number {
  return (report.dataRangeRequested ? 1 : 0) + report.types.reduce((sum, type) => sum + type.windows, 0);
}

/**
 * The running estimate of a steady poll's cost: an exponential average that ignores backfills
 * (more calls than two per type), which happen once per user and are paid from the headroom.
 *
 * @example
 * updatedPollCost(3, 4, 4); // 3.3
 */
export function updatedPollCost(previous: number, calls: number, types: number): number {
  if (calls > 1 + 2 * types) return previous;
  return Math.round((0.7 * previous + 0.3 * calls) * 100) / 100;
}
