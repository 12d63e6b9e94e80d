import { describe, expect, it } from 'vitest';
import { mergeRegion } from '../../bench/report.js';

describe('BENCHMARKS.md regions', () => {
  it('rewrites only its own region and keeps the others byte for byte', () => {
    const file = '# intro\n<!-- pipeline:begin -->\nold\n<!-- pipeline:end -->\n\n<!-- relay:begin -->\nrelay numbers\n<!-- relay:end -->\n';
    expect(mergeRegion(file, 'pipeline', 'new\n')).toBe('# intro\n<!-- pipeline:begin -->\nnew\n<!-- pipeline:end -->\n\n<!-- relay:begin -->\nrelay numbers\n<!-- relay:end -->\n');
  });

  it('turns an unmarked file into its region, keeping regions others added', () => {
    const file = '# Benchmarks\nold unmarked text\n\n<!-- fleet-quota:begin -->\nquota\n<!-- fleet-quota:end -->\n';
    expect(mergeRegion(file, 'pipeline', 'new')).toBe('<!-- pipeline:begin -->\nnew\n<!-- pipeline:end -->\n\n<!-- fleet-quota:begin -->\nquota\n<!-- fleet-quota:end -->\n');
    expect(mergeRegion(undefined, 'pipeline', 'new')).toBe('<!-- pipeline:begin -->\nnew\n<!-- pipeline:end -->\n');
  });
});
