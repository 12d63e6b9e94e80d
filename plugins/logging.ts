import { DexcomConfigurationError } from '../src/core/errors.js';
import type { PipelineEventMap, PipelineEvents } from '../src/core/events.js';
import { redactedBodyOf, redactHeaders, redactQuery, requestSecrets } from './redaction.js';

/** Log levels this SDK writes at, lowest first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * The part of a pino logger this SDK uses: `level(fields, message)` methods and, optionally,
 * `child(bindings)`. pino, and anything shaped like it, fits.
 */
export interface LoggerLike {
  trace?: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  child?: (bindings: Record<string, unknown>) => LoggerLike;
}

/**
 * Logging settings of a client (`new DexcomApiClient({ logger, logging })`).
 *
 * @example
 * new DexcomApiClient({ accessToken, logger: pino(), logging: { level: 'debug', bindings: { service: 'sync' } } });
 */
export interface LoggingOptions {
  /**
   * Lowest level this client writes at (the logger's own level still applies on top).
   * @default 'info'
   */
  level?: LogLevel;
  /** Fields added to every line, e.g. `{ service: 'cgm-sync' }`. Default none. */
  bindings?: Record<string, unknown>;
  /**
   * Debug only: also log request and response bodies, with every field the spec marks
   * `x-sensitive` (ids, glucose values, tokens, secrets) replaced by `[REDACTED]`.
   * @default false
   */
  logBodies?: boolean;
}

/** Validated {@link LoggingOptions}. */
export interface ResolvedLoggingOptions {
  readonly level: LogLevel;
  readonly bindings: Readonly<Record<string, unknown>>;
  readonly logBodies: boolean;
}

/**
 * Validates the logging options once, at construction.
 *
 * @example
 * resolveLoggingOptions({ level: 'debug' }); // { level: 'debug', bindings: {}, logBodies: false }
 */
export function resolveLoggingOptions(user: LoggingOptions = {}): ResolvedLoggingOptions {
  const level = user.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new DexcomConfigurationError(`logging.level must be one of ${LOG_LEVELS.join(', ')}, e.g. { logging: { level: 'debug' } } (got ${JSON.stringify(level)})`);
  }
  if (user.bindings !== undefined && (typeof user.bindings !== 'object' || user.bindings === null)) {
    throw new DexcomConfigurationError(`logging.bindings must be an object, e.g. { logging: { bindings: { service: 'cgm-sync' } } }`);
  }
  return { level, bindings: { ...user.bindings }, logBodies: user.logBodies === true };
}

/** Live state the log lines report that no event carries. */
export interface LoggingSources {
  /** The circuit breaker's state now, when there is one. */
  breakerState?: () => string | undefined;
}

/**
 * Writes the SDK's log lines from the pipeline's events: one line per logical call
 * (`dexcom call`), one per wire attempt (`dexcom attempt`, at debug unless it failed), and one
 * per retry, give-up, breaker transition and throttling. Lines carry the correlation id, attempt
 * number, operation id, method, path template (never the raw URL), status, duration, retry delay,
 * breaker state and limiter wait. Headers and query values are allow-listed; bodies are logged
 * only with `logBodies`, redacted by the spec's `x-sensitive` marks. It never changes the app
 * logger's own settings: it writes through a child logger. Returns a function that detaches it.
 *
 * @example
 * const detach = attachLogging(dexcom.events, pino(), resolveLoggingOptions({ level: 'debug' }));
 */
export function attachLogging(events: PipelineEvents, logger: LoggerLike, options: ResolvedLoggingOptions, sources: LoggingSources = {}): () => void {
  const log = logger.child ? logger.child({ component: 'dexcom-api-client', ...options.bindings }) : logger;
  const floor = LOG_LEVELS.indexOf(options.level);
  const write = (level: Exclude<LogLevel, 'silent'>, fields: Record<string, unknown>, message: string): void => {
    if (LOG_LEVELS.indexOf(level) < floor) return;
    const method = log[level] ?? log.debug;
    method.call(log, fields, message);
  };
  const enabled = (level: LogLevel) => LOG_LEVELS.indexOf(level) >= floor;
  // When a request joined the limiter's queue, per call, to report how long it waited.
  const queuedAt = new Map<string, number>();
  const waited = new Map<string, number>();

  const offs = [
    events.on('queued', (e) => {
      queuedAt.set(e.invocationId, performance.now());
      write('debug', { correlationId: e.invocationId, operationId: e.operationId, queueDepth: e.queueDepth }, 'dexcom request queued by the rate limiter');
    }),
    events.on('attempt', (e) => {
      const since = queuedAt.get(e.invocationId);
      if (since !== undefined) {
        waited.set(e.invocationId, Math.round(performance.now() - since));
        queuedAt.delete(e.invocationId);
      }
    }),
    events.on('attempt-end', (e) => {
      const failed = e.error !== undefined || (e.status ?? 0) >= 400;
      const level = failed ? 'warn' : 'debug';
      if (!enabled(level)) return;
      const fields = attemptFields(e, waited.get(e.invocationId), sources.breakerState?.(), enabled('debug'));
      if (options.logBodies && enabled('debug')) {
        void withBodies(e, fields).then((withBody) => write(level, withBody, 'dexcom attempt'));
        return;
      }
      write(level, fields, 'dexcom attempt');
    }),
    events.on('retry', (e) => {
      write('warn', { correlationId: e.invocationId, operationId: e.operationId, attempt: e.attempt, retryDelayMs: e.delayMs, reason: e.reason, status: e.status }, 'dexcom retry scheduled');
    }),
    events.on('give-up', (e) => {
      write('warn', { correlationId: e.invocationId, operationId: e.operationId, attempts: e.attempts, reason: e.reason, status: e.status }, 'dexcom retries given up');
    }),
    events.on('break', (e) => {
      write('error', { breakerState: 'open', reason: e.reason, retryAt: new Date(e.retryAt).toISOString() }, 'dexcom circuit breaker opened');
    }),
    events.on('half-open', () => write('info', { breakerState: 'half-open' }, 'dexcom circuit breaker half-open: one probe goes out')),
    events.on('reset', () => write('info', { breakerState: 'closed' }, 'dexcom circuit breaker closed')),
    events.on('throttled', (e) => {
      write('warn', { correlationId: e.invocationId, operationId: e.operationId, limiterWaitMs: Math.round(e.waitMs), reason: e.reason }, 'dexcom rate limiter throttling');
    }),
    events.on('call-end', (e) => {
      queuedAt.delete(e.invocationId);
      const limiterWaitMs = waited.get(e.invocationId);
      waited.delete(e.invocationId);
      const fields = {
        correlationId: e.invocationId,
        operationId: e.operationId,
        method: e.method,
        path: e.pathTemplate,
        attempts: e.attempts,
        status: e.status,
        durationMs: Math.round(e.durationMs),
        ...(limiterWaitMs === undefined ? {} : { limiterWaitMs }),
        ...(e.error === undefined ? { outcome: 'success' } : { outcome: e.errorCode ?? 'error', err: { name: e.error, code: e.errorCode, message: e.errorMessage } }),
      };
      write(e.error === undefined ? 'info' : 'error', fields, e.error === undefined ? 'dexcom call succeeded' : 'dexcom call failed');
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}

function attemptFields(
  e: PipelineEventMap['attempt-end'],
  limiterWaitMs: number | undefined,
  breakerState: string | undefined,
  withHeaders: boolean,
): Record<string, unknown> {
  const url = new URL(e.request.url);
  return {
    correlationId: e.invocationId,
    operationId: e.operationId,
    method: e.method,
    path: e.pathTemplate,
    attempt: e.attempt,
    ...(e.status === undefined ? {} : { status: e.status }),
    ...(e.error === undefined ? {} : { err: { name: e.error } }),
    durationMs: Math.round(e.durationMs),
    ...(limiterWaitMs === undefined ? {} : { limiterWaitMs }),
    ...(breakerState === undefined ? {} : { breakerState }),
    ...(withHeaders
      ? {
          query: redactQuery(url),
          requestHeaders: redactHeaders(e.request.headers),
          ...(e.response ? { responseHeaders: redactHeaders(e.response.headers) } : {}),
        }
      : {}),
  };
}

async function withBodies(e: PipelineEventMap['attempt-end'], fields: Record<string, unknown>): Promise<Record<string, unknown>> {
  // Servers echo what they were sent (a token in an error description): cut those values out too.
  const secrets = await requestSecrets(e.request);
  const [requestBody, responseBody] = await Promise.all([redactedBodyOf(e.request, secrets), e.response ? redactedBodyOf(e.response, secrets) : undefined]);
  return { ...fields, ...(requestBody === undefined ? {} : { requestBody }), ...(responseBody === undefined ? {} : { responseBody }) };
}
