import { request } from 'undici';
import { signWebhook } from '../../webhooks/sign-webhook.js';
import { parseRetryAfter } from '../../core/retry-after.js';
import { pinnedAgent } from './pinned-agent.js';
import { checkTarget, SsrfRefusedError, type SsrfGuardOptions } from './ssrf-guard.js';

/** Default answer timeout of one attempt: 15 seconds, as Svix. */
export const DELIVERY_TIMEOUT_MS = 15_000;

/** What one attempt sends. */
export interface AttemptInput {
  readonly url: string;
  readonly eventId: string;
  /** The JSON body, exactly as signed. */
  readonly body: string;
  /** Signing secrets: the current one, plus the previous one during a rotation. */
  readonly secrets: readonly string[];
  /** The attempt's time (the `webhook-timestamp`). */
  readonly now: Date;
}

/** How one attempt ended. */
export interface AttemptOutcome {
  /** 2xx. */
  readonly ok: boolean;
  /** The receiver's status, or null without an answer. */
  readonly status: number | null;
  readonly latencyMs: number;
  /** Short failure code (`http_503`, `timeout`, `ssrf_refused:private`, ...), null on success. */
  readonly error: string | null;
  /** A `Retry-After` the receiver sent, in ms. */
  readonly retryAfterMs: number | undefined;
  /** True when the target was refused by the SSRF guard (nothing was sent). */
  readonly refused: boolean;
}

/** Options of {@link sendAttempt}. */
export interface SendAttemptOptions extends SsrfGuardOptions {
  /** Default {@link DELIVERY_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Monotonic clock in ms for latency. Default `performance.now`. */
  readonly clock?: () => number;
}

/**
 * One delivery attempt: checks the target with the SSRF guard (again, every attempt), signs, and
 * POSTs over a connection pinned to the checked address, with a timeout and no redirects (a 3xx is
 * a failure). Never throws: every end is an {@link AttemptOutcome}.
 *
 * @example
 * const outcome = await sendAttempt({ url, eventId, body, secrets: [secret], now: new Date() });
 * if (!outcome.ok) console.log(outcome.error);
 */
export async function sendAttempt(input: AttemptInput, options: SendAttemptOptions = {}): Promise<AttemptOutcome> {
  const clock = options.clock ?? (() => performance.now());
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const started = clock();
  const end = (fields: Partial<AttemptOutcome>): AttemptOutcome => ({
    ok: false,
    status: null,
    error: null,
    retryAfterMs: undefined,
    refused: false,
    ...fields,
    latencyMs: Math.max(0, Math.round(clock() - started)),
  });
  let target;
  try {
    target = await checkTarget(input.url, options);
  } catch (error) {
    if (error instanceof SsrfRefusedError) return end({ error: `ssrf_refused:${error.reason}`, refused: true });
    throw error;
  }
  const headers = signWebhook({ id: input.eventId, timestamp: input.now, body: input.body, secrets: input.secrets });
  const agent = pinnedAgent(target.address, timeoutMs);
  try {
    const response = await request(target.url, {
      method: 'POST',
      dispatcher: agent,
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'dexcom-api-client-relay' },
      body: input.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The answer's body is not needed; drop it without buffering more than a little.
    await response.body.dump({ limit: 64 * 1024 }).catch(() => {});
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const retryAfter = response.headers['retry-after'];
    return end({
      ok,
      status: response.statusCode,
      error: ok ? null : `http_${response.statusCode}`,
      retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, input.now.getTime()),
    });
  } catch (error) {
    return end({ error: networkErrorCode(error) });
  } finally {
    await agent.close().catch(() => {});
  }
}

/** A short, bounded code for a failed connection (never the message, which may hold the URL). */
export function networkErrorCode(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return 'timeout';
  }
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection_reset';
  if (typeof code === 'string' && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(code)) return 'tls_error';
  return 'network_error';
}
