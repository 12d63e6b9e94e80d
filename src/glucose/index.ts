export { MGDL_PER_MMOL, mgdlToMmol, mmolToMgdl } from './units.js';
export { type KnownTrend, trendArrow, trendDescription } from './trend.js';
export { CONSENSUS_RANGES, type GlucoseRanges, type GlucoseSummary, summarizeGlucose } from './time-in-range.js';
