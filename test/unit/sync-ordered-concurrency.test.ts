import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DexcomAbortError } from '../../src/index.js';
import { mapInOrder } from '../../src/sync/ordered-concurrency.js';

/** Runs mapInOrder with a task whose completion order the fast-check scheduler decides. */
async function run(scheduler: fc.Scheduler, items: number[], concurrency: number, failAt?: number) {
  let started = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const ahead: number[] = [];
  const finish = scheduler.scheduleFunction(async (x: number) => x);
  const task = async (x: number) => {
    started++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const value = await finish(x);
      if (x === failAt) throw new Error(`task ${x} failed`);
      return value * 10;
    } finally {
      inFlight--;
    }
  };
  const out: number[] = [];
  const consumed = (async () => {
    for await (const value of mapInOrder(items, concurrency, task)) {
      out.push(value);
      // Started but not yet handed out: the ones in flight plus the ones buffered.
      ahead.push(started - out.length);
    }
  })();
  let error: unknown;
  await scheduler.waitFor(consumed.catch((e: unknown) => (error = e)));
  return { out, maxInFlight, ahead, error, started };
}

describe('mapInOrder', () => {
  it('property: results come in input order whatever order tasks finish in, with at most `concurrency` started ahead', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 25 }), fc.integer({ min: 1, max: 6 }), async (s, items, concurrency) => {
        const { out, maxInFlight, ahead, error } = await run(s, items, concurrency);
        expect(error).toBeUndefined();
        expect(out).toEqual(items.map((x) => x * 10));
        expect(maxInFlight).toBeLessThanOrEqual(concurrency);
        for (const n of ahead) expect(n).toBeLessThanOrEqual(concurrency);
      }),
    );
  });

  it('property: a failed task fails the iteration at its turn, after every earlier result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5 }), fc.nat(), async (s, length, concurrency, seed) => {
        const items = Array.from({ length }, (_, i) => i);
        const failAt = seed % length;
        const { out, error, started } = await run(s, items, concurrency, failAt);
        expect(out).toEqual(items.slice(0, failAt).map((x) => x * 10));
        expect((error as Error).message).toBe(`task ${failAt} failed`);
        // Nothing is started past the window of `concurrency` after the failure.
        expect(started).toBeLessThanOrEqual(Math.min(length, failAt + concurrency));
      }),
    );
  });

  it('pulls items lazily and cancels tasks in flight when the consumer breaks', async () => {
    let pulled = 0;
    function* items() {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield i;
      }
    }
    const signals: AbortSignal[] = [];
    const task = (x: number, signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<number>((resolve) => setTimeout(() => resolve(x), x === 0 ? 0 : 50));
    };
    for await (const value of mapInOrder(items(), 3, task)) {
      expect(value).toBe(0);
      break;
    }
    expect(pulled).toBe(4);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it("stops with a DexcomAbortError when the caller's signal fires, and tasks see the abort", async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const task = (x: number, signal: AbortSignal) => {
      seen.push(signal);
      return Promise.resolve(x);
    };
    const out: number[] = [];
    const error = await (async () => {
      for await (const value of mapInOrder([1, 2, 3, 4], 2, task, controller.signal)) {
        out.push(value);
        if (value === 2) controller.abort(new Error('stop'));
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DexcomAbortError);
    expect(out).toEqual([1, 2]);
    expect(seen.every((signal) => signal.aborted)).toBe(true);
  });

  it('an already aborted signal starts nothing', async () => {
    let calls = 0;
    const iterator = mapInOrder([1], 1, async (x) => (calls++, x), AbortSignal.abort());
    await expect(iterator.next()).rejects.toThrow(DexcomAbortError);
    expect(calls).toBe(0);
  });
});
