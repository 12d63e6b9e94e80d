import type { PipelineEvents } from '../../src/index.js';

/**
 * Shows a long read's progress on stderr while it runs (windows done of total, calls, rate-limit
 * waits), redrawn in place, only when stderr is a terminal; returns a function that clears it.
 *
 * @example
 * const stop = progressLine(dexcom.events, 122);
 * try { await dexcom.getGlucoseReadings(start, end); } finally { stop(); }
 */
export function progressLine(events: PipelineEvents, windows: number, stream: NodeJS.WriteStream = process.stderr): () => void {
  if (!stream.isTTY) return () => {};
  let done = 0, calls = 0, waits = 0;
  const offs = [
    events.on('call-end', (e) => {
      calls++;
      if (e.operationId === 'getEstimatedGlucoseValuesV3') done++;
    }),
    events.on('throttled', () => void waits++),
  ];
  const draw = () => stream.write(`\r  reading: ${done}/${windows} windows, ${calls} calls, ${waits} rate-limit waits `);
  const timer = setInterval(draw, 250);
  timer.unref();
  return () => {
    clearInterval(timer);
    for (const off of offs) off();
    stream.write('\r\x1b[K');
  };
}
