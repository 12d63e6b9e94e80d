import { describe, expect, it } from 'vitest';
import { CONSENSUS_RANGES, mgdlToMmol, mmolToMgdl, summarizeGlucose, trendArrow, trendDescription } from '../../src/glucose/index.ts';

describe('glucose units', () => {
  it('converts mg/dL to mmol/L and back as meters show them', () => {
    expect(mgdlToMmol(100)).toBe(5.5);
    expect(mgdlToMmol(126)).toBe(7);
    expect(mgdlToMmol(70)).toBe(3.9);
    expect(mgdlToMmol(180)).toBe(10);
    expect(mgdlToMmol(100, { round: false })).toBeCloseTo(5.54994, 4);
    expect(mmolToMgdl(5.6)).toBe(101);
    expect(mmolToMgdl(10, { round: false })).toBeCloseTo(180.182, 3);
  });
});

describe('trend arrows', () => {
  it('maps every documented trend and says so for anything else', () => {
    expect(trendArrow('flat')).toBe('→');
    expect(trendArrow('doubleDown')).toBe('⇊');
    expect(trendArrow('none')).toBe('');
    expect(trendArrow('sideways')).toBe('?');
    expect(trendArrow(null)).toBe('?');
    expect(trendArrow('toString')).toBe('?');
    expect(trendDescription('singleUp')).toBe('rising (2 to 3 mg/dL per minute)');
    expect(trendDescription('sideways')).toBe('trend sideways');
    expect(trendDescription(undefined)).toBe('no trend');
  });
});

describe('summarizeGlucose', () => {
  it('puts each value in one consensus band, at the band edges too', () => {
    const summary = summarizeGlucose([53, 54, 69, 70, 180, 181, 250, 251, null, Number.NaN]);
    expect(summary.count).toBe(8);
    expect([summary.veryLow, summary.low, summary.inRange, summary.high, summary.veryHigh].map((s) => s * 8)).toEqual([1, 2, 2, 2, 1]);
    expect(summary.min).toBe(53);
    expect(summary.max).toBe(251);
  });

  it('computes mean, coefficient of variation and GMI', () => {
    const summary = summarizeGlucose([100, 150, 200]);
    expect(summary.meanMgdl).toBe(150);
    expect(summary.coefficientOfVariation).toBeCloseTo(50 / 150, 10);
    expect(summary.gmiPercent).toBeCloseTo(3.31 + 0.02392 * 150, 10);
    expect(summary.inRange).toBe(2 / 3);
  });

  it('takes custom ranges and answers an empty input without NaN', () => {
    expect(summarizeGlucose([65], { ...CONSENSUS_RANGES, low: 63 }).inRange).toBe(1);
    expect(summarizeGlucose([])).toMatchObject({ count: 0, meanMgdl: undefined, inRange: 0, coefficientOfVariation: undefined });
    expect(summarizeGlucose([120]).coefficientOfVariation).toBeUndefined();
  });
});
