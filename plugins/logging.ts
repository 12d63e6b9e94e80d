import { DexcomConfigurationError } from '../src/core/errors.js';
import type { PipelineEventMap, PipelineEvents } from '../src/core/events.js';
import type { AttemptDetailLevel } from './attempt-detail.js';
import type { ObserverDrops } from './observer-drops.js';

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

/**
 * How much of each wire attempt the pipeline must describe for this client's log: headers and query
 * at debug, bodies too with `logBodies`, nothing otherwise (then no attempt pays for it).
 *
 * @example
 * attemptDetailLevel(resolveLoggingOptions({ level: 'debug', logBodies: true }), true); // 'bodies'
 */
export function attemptDetailLevel(options: ResolvedLoggingOptions, hasLogger: boolean): AttemptDetailLevel | undefined {
  if (!hasLogger || LOG_LEVELS.indexOf(options.level) > LOG_LEVELS.indexOf('debug')) return undefined;
  return options.logBodies ? 'bodies' : 'headers';
}

/** Live state the log lines report that no event carries. */
export interface LoggingSources {
  /** The circuit breaker's state now, when there is one. */
  breakerState?: () => string | undefined;
  /** Where dropped lines are counted (a logger that throws). Default: a counter of its own. */
  drops?: ObserverDrops;
}

/**
 * Writes the SDK's log lines from the pipeline's events: one line per logical call
 * (`dexcom call`), one per wire attempt (`dexcom attempt`, at debug unless it failed), and one
 * per retry, give-up, breaker transition and throttling. Lines carry the correlation id, attempt
 * number, operation id, method, path template (never the raw URL), status, duration, retry delay,
 * breaker state and limiter wait. Headers, query and bodies come already redacted on the event
 * (`attempt-end` `detail`, built only when this client logs at debug; bodies only with
 * `logBodies`). It never changes the app logger's own settings: it writes through a child logger.
 * A logger that throws never breaks a call or the process: the line is dropped and counted in
 * `sources.drops.logLines`. Returns a function that detaches it.
 *
 * @example
 * const detach = attachLogging(dexcom.events, pino(), resolveLoggingOptions({ level: 'debug' }));
 */
export function attachLogging(events: PipelineEvents, logger: LoggerLike, options: ResolvedLoggingOptions, sources: LoggingSources = {}): () => void {
  const log = logger.child ? logger.child({ component: 'dexcom-api-client', ...options.bindings }) : logger;
  const floor = LOG_LEVELS.indexOf(options.level);
  const enabled = (level: LogLevel): boolean => LOG_LEVELS.indexOf(level) >= floor;
  const debug = enabled('debug');
  const drops = sources.drops ?? { logLines: 0, metricUpdates: 0 };
  const write = (level: Exclude<LogLevel, 'silent'>, fields: Record<string, unknown>, message: string): void => {
    if (!enabled(level)) return;
    try {
      const method = log[level] ?? log.debug;
      method.call(log, fields, message);
    } catch {
      // The app's logger failed (a broken stream, a serializer that throws): drop the line, count it.
      drops.logLines += 1;
    }
  };

  const offs = [
    events.on('queued', (e) => {
      write('debug', { correlationId: e.invocationId, operationId: e.operationId, queueDepth: e.queueDepth }, 'dexcom request queued by the rate limiter');
    }),
    events.on('attempt-end', (e) => {
      const failed = e.error !== undefined || (e.status ?? 0) >= 400;
      const level = failed ? 'warn' : 'debug';
      if (!enabled(level)) return;
      write(level, attemptFields(e, sources.breakerState?.(), debug), 'dexcom attempt');
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
      const failed = e.error !== undefined;
      if (!enabled(failed ? 'error' : 'info')) return;
      const fields: Record<string, unknown> = {
        correlationId: e.invocationId,
        operationId: e.operationId,
        method: e.method,
        path: e.pathTemplate,
        attempts: e.attempts,
        status: e.status,
        durationMs: Math.round(e.durationMs),
      };
      const limiterWaitMs = waitOf(e.limiterWaitMs);
      if (limiterWaitMs !== undefined) fields.limiterWaitMs = limiterWaitMs;
      if (failed) {
        fields.outcome = e.errorCode ?? 'error';
        fields.err = { name: e.error, code: e.errorCode, message: e.errorMessage };
      } else fields.outcome = 'success';
      write(failed ? 'error' : 'info', fields, failed ? 'dexcom call failed' : 'dexcom call succeeded');
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}

/** A limiter wait worth a field: whole milliseconds, left out when it rounds to none. */
function waitOf(ms: number | undefined): number | undefined {
  if (ms === undefined) return undefined;
  const rounded = Math.round(ms);
  return rounded > 0 ? rounded : undefined;
}

function attemptFields(e: PipelineEventMap['attempt-end'], breakerState: string | undefined, withDetail: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    correlationId: e.invocationId,
    operationId: e.operationId,
    method: e.method,
    path: e.pathTemplate,
    attempt: e.attempt,
  };
  if (e.status !== undefined) fields.status = e.status;
  if (e.error !== undefined) fields.err = { name: e.error };
  fields.durationMs = Math.round(e.durationMs);
  const limiterWaitMs = waitOf(e.limiterWaitMs);
  if (limiterWaitMs !== undefined) fields.limiterWaitMs = limiterWaitMs;
  if (breakerState !== undefined) fields.breakerState = breakerState;
  if (withDetail && e.detail) Object.assign(fields, e.detail);
  return fields;
}
