import type { FastifyReply, FastifyRequest } from 'fastify';
import fastify from 'fastify';

// `LogController` is a runtime export of Fastify's CommonJS entry (not a named ESM export).
const { LogController } = fastify as unknown as { LogController: typeof import('fastify').LogController };

/**
 * Fastify's request log lines, made safe: no "incoming request" line (it carries the URL with its
 * query string, where the OAuth callback has the code and state), and one completion line with the
 * method, the route template (`/v1/connections/:userKey`, never the user), the status and the
 * duration. Errors log their name and code only.
 *
 * @example
 * Fastify({ logger: true, logController: new SafeRequestLog() });
 */
export class SafeRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, route: request.routeOptions?.url ?? 'unmatched', statusCode: reply.statusCode, durationMs: Math.round(reply.elapsedTime) };
    if (error) reply.log.error({ ...line, err: errorFacts(error) }, 'request errored');
    else reply.log.info(line, 'request completed');
  }

  override routeNotFound(): void {}

  override defaultErrorLog(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    reply.log.error({ err: errorFacts(error) }, 'request failed');
  }

  override streamError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn({ err: errorFacts(error) }, 'response stream failed');
  }

  override writeHeadError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn({ err: errorFacts(error) }, 'writing the response head failed');
  }

  override serializerError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    reply.log.error({ err: errorFacts(error) }, 'serializing the response failed');
  }
}

/** What a log line may say about an error: its class and code, never its message. */
function errorFacts(error: Error): { name: string; code: unknown } {
  return { name: error?.name, code: (error as { code?: unknown })?.code };
}
