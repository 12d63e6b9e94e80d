/** Trend values Dexcom documents (the field is open: other strings may arrive). */
export type KnownTrend =
  | 'doubleUp'
  | 'singleUp'
  | 'fortyFiveUp'
  | 'flat'
  | 'fortyFiveDown'
  | 'singleDown'
  | 'doubleDown'
  | 'none'
  | 'notComputable'
  | 'rateOutOfRange'
  | 'unknown';

interface TrendInfo {
  readonly arrow: string;
  readonly description: string;
}

// Bands in mg/dL/min from Dexcom's v3 EGV documentation.
const TRENDS: Readonly<Record<KnownTrend, TrendInfo>> = {
  doubleUp: { arrow: '⇈', description: 'rising quickly (more than 3 mg/dL per minute)' },
  singleUp: { arrow: '↑', description: 'rising (2 to 3 mg/dL per minute)' },
  fortyFiveUp: { arrow: '↗', description: 'rising slowly (1 to 2 mg/dL per minute)' },
  flat: { arrow: '→', description: 'steady (less than 1 mg/dL per minute either way)' },
  fortyFiveDown: { arrow: '↘', description: 'falling slowly (1 to 2 mg/dL per minute)' },
  singleDown: { arrow: '↓', description: 'falling (2 to 3 mg/dL per minute)' },
  doubleDown: { arrow: '⇊', description: 'falling quickly (more than 3 mg/dL per minute)' },
  none: { arrow: '', description: 'no trend arrow' },
  notComputable: { arrow: '?', description: 'trend not computable' },
  rateOutOfRange: { arrow: '⇕', description: 'rate of change out of range' },
  unknown: { arrow: '?', description: 'trend unknown' },
};

function infoOf(trend: string | null | undefined): TrendInfo | undefined {
  return trend != null && Object.hasOwn(TRENDS, trend) ? TRENDS[trend as KnownTrend] : undefined;
}

/**
 * The arrow for an EGV's `trend`: `'→'` for `flat`, `''` for `none`, `'?'` for a value not known.
 *
 * @example
 * trendArrow('fortyFiveUp'); // '↗'
 * trendArrow(egv.trend);
 */
export function trendArrow(trend: string | null | undefined): string {
  return infoOf(trend)?.arrow ?? '?';
}

/**
 * A short English description of an EGV's `trend`, with Dexcom's rate band; for a value not
 * documented, `'trend <value>'` (or `'no trend'` for null).
 *
 * @example
 * trendDescription('singleDown'); // 'falling (2 to 3 mg/dL per minute)'
 */
export function trendDescription(trend: string | null | undefined): string {
  return infoOf(trend)?.description ?? (trend == null ? 'no trend' : `trend ${trend}`);
}
