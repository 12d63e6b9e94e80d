/** Range limits in mg/dL; the default is the international consensus (Battelino et al., 2019). */
export interface GlucoseRanges {
  /** Below this is "very low". Default 54. */
  readonly veryLow: number;
  /** Below this is "low". Default 70. */
  readonly low: number;
  /** Above this is "high". Default 180. */
  readonly high: number;
  /** Above this is "very high". Default 250. */
  readonly veryHigh: number;
}

/** The consensus ranges: 54 / 70 / 180 / 250 mg/dL. */
export const CONSENSUS_RANGES: GlucoseRanges = { veryLow: 54, low: 70, high: 180, veryHigh: 250 };

/** Time-in-range summary of a list of glucose values. */
export interface GlucoseSummary {
  /** Values counted (numbers only). */
  readonly count: number;
  /** Mean in mg/dL; undefined without values. */
  readonly meanMgdl: number | undefined;
  /** Lowest and highest value in mg/dL; undefined without values. */
  readonly min: number | undefined;
  readonly max: number | undefined;
  /** Coefficient of variation (standard deviation ÷ mean, 0..1); undefined with fewer than 2 values. */
  readonly coefficientOfVariation: number | undefined;
  /** Glucose management indicator (estimated A1c, %) from the mean: 3.31 + 0.02392 × mean. */
  readonly gmiPercent: number | undefined;
  /** Shares (0..1) of the values in each band; all 0 without values. */
  readonly veryLow: number;
  readonly low: number;
  /** Within [low, high]: time in range. */
  readonly inRange: number;
  readonly high: number;
  readonly veryHigh: number;
}

/**
 * Summarises glucose values in mg/dL: mean, extremes, variability, GMI and the share of values in
 * each consensus band (below 54, 54–69, 70–180, 181–250, above 250 by default). Dexcom reports
 * every value in mg/dL whatever `unit` says; non-numbers (null values) are skipped.
 *
 * @example
 * const readings = await dexcom.getGlucoseReadings(start, end);
 * const summary = summarizeGlucose(readings.map((r) => r.value));
 * console.log(`${Math.round(summary.inRange * 100)}% in range`);
 */
export function summarizeGlucose(values: Iterable<number | null | undefined>, ranges: GlucoseRanges = CONSENSUS_RANGES): GlucoseSummary {
  let count = 0, sum = 0, sumSquares = 0, min = Infinity, max = -Infinity;
  let veryLow = 0, low = 0, inRange = 0, high = 0, veryHigh = 0;
  for (const value of values) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    count++;
    sum += value;
    sumSquares += value * value;
    if (value < min) min = value;
    if (value > max) max = value;
    if (value < ranges.veryLow) veryLow++;
    else if (value < ranges.low) low++;
    else if (value <= ranges.high) inRange++;
    else if (value <= ranges.veryHigh) high++;
    else veryHigh++;
  }
  if (count === 0) {
    return { count, meanMgdl: undefined, min: undefined, max: undefined, coefficientOfVariation: undefined, gmiPercent: undefined, veryLow: 0, low: 0, inRange: 0, high: 0, veryHigh: 0 };
  }
  const mean = sum / count;
  const variance = count > 1 ? (sumSquares - count * mean * mean) / (count - 1) : undefined;
  return {
    count,
    meanMgdl: mean,
    min,
    max,
    coefficientOfVariation: variance === undefined ? undefined : Math.sqrt(Math.max(0, variance)) / mean,
    gmiPercent: 3.31 + 0.02392 * mean,
    veryLow: veryLow / count,
    low: low / count,
    inRange: inRange / count,
    high: high / count,
    veryHigh: veryHigh / count,
  };
}
