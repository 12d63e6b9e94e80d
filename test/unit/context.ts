/**
 * Test helpers for plugin unit tests: a hand-built CallContext and a scripted `next` that
 * behaves like the wire observer + transport (records one AttemptRecord per call and a call log).
 */
import { vi } from 'vitest';
import { PipelineEvents, type PipelineEventMap, type PipelineEventName } from '../../src/core/events.js';
import type { CallContext, FetchLike } from '../../src/core/middleware.js';

/** Base URL used by every test request (never contacted: `next` is always scripted). */
export const BASE = 'http://127.0.0.1:4010';

/** A CallContext as the call observer would create it, with a fresh event bus. */
export function makeContext(overrides: Partial<CallContext> = {}): CallContext {
  return {
    invocationId: 'inv-1',
    operationId: 'getEgvs',
    method: 'GET',
    pathTemplate: '/v3/users/self/egvs',
    attempt: 1,
    attempts: [],
    startedAt: Date.now(),
    events: new PipelineEvents(),
    ...overrides,
  };
}

/** A GET (or other method) request to the egvs path. */
export function makeRequest(init: RequestInit = {}): Request {
  return new Request(`${BASE}/v3/users/self/egvs`, init);
}

/** Collects every emitted event of the given names, in order, as `[name, payload]` pairs. */
export function recordEvents<K extends PipelineEventName>(
  events: PipelineEvents,
  names: readonly K[],
): Array<[K, PipelineEventMap[K]]> {
  const log: Array<[K, PipelineEventMap[K]]> = [];
  for (const name of names) events.on(name, (event) => log.push([name, event]));
  return log;
}

/** One scripted wire outcome: a response, an error to throw, or a function producing either. */
export type Step = Response | Error | ((request: Request, context: CallContext) => Response | Promise<Response>);

/**
 * A scripted `next` that plays `steps` in order. Each call is logged as `"<METHOD> <attempt>"` in
 * `calls` and appended to `context.attempts` like the wire observer does.
 */
export function scriptedNext(steps: Step[]): { next: ReturnType<typeof vi.fn<FetchLike>>; calls: string[] } {
  const calls: string[] = [];
  const next = vi.fn<FetchLike>(async (request, context) => {
    calls.push(`${request.method} ${context.attempt}`);
    const step = steps.shift();
    if (step === undefined) throw new Error(`unexpected call ${calls.length}`);
    try {
      const response = step instanceof Response || step instanceof Error ? step : await step(request, context);
      if (response instanceof Error) throw response;
      context.attempts.push({ attempt: context.attempt, status: response.status, durationMs: 0 });
      return response;
    } catch (error) {
      context.attempts.push({ attempt: context.attempt, error: (error as Error).name, durationMs: 0 });
      throw error;
    }
  });
  return { next, calls };
}

/** A response whose body records whether it was cancelled. */
export function trackedResponse(status: number, headers: Record<string, string> = {}): { response: Response; cancelled: () => boolean } {
  let wasCancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new TextEncoder().encode('{}'));
      controller.close();
    },
    cancel() {
      wasCancelled = true;
    },
  });
  return { response: new Response(body, { status, headers }), cancelled: () => wasCancelled };
}

/** A `next` that never answers but rejects with the signal's reason when its request is aborted. */
export function hangingNext(calls: string[] = []): FetchLike {
  return (request, context) =>
    new Promise((_, reject) => {
      calls.push(`${request.method} ${context.attempt}`);
      request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
    });
}
