import { describe, expect, it } from 'vitest';
import { createPipeline } from '../../src/client-pipeline.js';
import { PipelineEvents } from '../../src/core/events.js';

const requiresAuth = () => true;

describe('pipeline order (src/client-pipeline.ts is its one home)', () => {
  it('composes every layer in this exact order, outermost first', () => {
    const { layers } = createPipeline({ accessToken: 't', requiresAuth, correlation: { header: 'x-correlation-id', attemptHeader: null } }, new PipelineEvents());
    expect(layers).toEqual([
      'call-observer',
      'total-deadline',
      'retry',
      'circuit-breaker',
      'auth',
      'rate-limiter',
      'circuit-breaker-gate',
      'correlation',
      'attempt-timeout',
      'wire-observer',
      'transport',
    ]);
  });

  it('leaves out what is turned off and keeps the rest in order', () => {
    const off = createPipeline(
      { accessToken: 't', requiresAuth, rateLimit: false, retry: false, circuitBreaker: false, timeout: false, correlation: null },
      new PipelineEvents(),
    );
    expect(off.layers).toEqual(['call-observer', 'total-deadline', 'auth', 'attempt-timeout', 'wire-observer', 'transport']);
    // The gate exists only with both the breaker and the limiter.
    const noLimiter = createPipeline({ accessToken: 't', requiresAuth, rateLimit: false }, new PipelineEvents());
    expect(noLimiter.layers).not.toContain('circuit-breaker-gate');
    expect(noLimiter.layers).toContain('circuit-breaker');
  });
});
