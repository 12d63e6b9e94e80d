import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { isRelayError } from '../errors.js';
import { createApiKeyCheck } from '../management/api-key.js';
import type { Relay } from '../relay-types.js';
import { problem, sendProblem } from './problem.js';
import { SafeRequestLog } from './request-log.js';
import { routeHandlers, sendCallbackPage } from './route-handlers.js';
import { createSpecValidatorCompiler, describeValidationError, specOperations } from './spec-validation.js';

/**
 * Options of {@link buildRelayApp}.
 *
 * @example
 * const options: RelayAppOptions = { apiKey: process.env.DEXCOM_RELAY_API_KEY!, logger: true };
 */
export interface RelayAppOptions {
  /** The management API key (`DEXCOM_RELAY_API_KEY`), at least 16 characters. */
  readonly apiKey: string;
  /**
   * A pino-compatible logger, `true` for Fastify's own (JSON lines on stdout), or Fastify logger
   * options. Default: no logs. Request logs carry the method, the route template, the status and
   * the duration: never a query string, header, body, token, secret, code, state or API key.
   */
  readonly logger?: FastifyBaseLogger | FastifyServerOptions['logger'];
  /** Largest request body, in bytes. Default 65_536. */
  readonly bodyLimit?: number;
}

const CALLBACK_URL = '/oauth/callback';

function isLoggerInstance(value: unknown): value is FastifyBaseLogger {
  return typeof value === 'object' && value !== null && typeof (value as FastifyBaseLogger).info === 'function' && typeof (value as FastifyBaseLogger).child === 'function';
}

/**
 * The relay's HTTP API on Fastify 5: every operation of spec/relay.openapi.yaml, requests validated
 * against that document (bad input: 400 `application/problem+json` naming the field), `/v1` (and
 * any unknown path) behind `Authorization: Bearer <apiKey>` (constant-time compare; 401 otherwise), the public OAuth
 * callback (an HTML page), `/healthz`, `/metrics` and `/openapi.json`. Not listening yet: call
 * `app.listen({ port, host })`.
 *
 * @throws DexcomConfigurationError when the API key is missing or shorter than 16 characters.
 * @example
 * const app = await buildRelayApp(relay, { apiKey: process.env.DEXCOM_RELAY_API_KEY! });
 * await app.listen({ port: 8790, host: '127.0.0.1' });
 */
export async function buildRelayApp(relay: Relay, options: RelayAppOptions): Promise<FastifyInstance> {
  const apiKey = createApiKeyCheck(options.apiKey);
  const logger = options.logger;
  const app = Fastify({
    ...(isLoggerInstance(logger) ? { loggerInstance: logger } : { logger: logger ?? false }),
    // Fastify's own request lines carry the URL, query string included: these do not.
    logController: new SafeRequestLog(),
    bodyLimit: options.bodyLimit ?? 65_536,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  let stopping = false;
  app.addHook('onClose', async () => {
    stopping = true;
  });

  const compile = createSpecValidatorCompiler();
  app.setValidatorCompiler(({ schema, httpPart }) => compile(schema, httpPart));

  // Every route needs the key except those the document marks public (`security: []`); unknown
  // paths too, so probing for routes without a key learns nothing.
  app.addHook('onRequest', async (request, reply) => {
    if ((request.routeOptions.config as { public?: boolean } | undefined)?.public === true) return;
    if (!apiKey.authorization(request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(reply, problem(401, { detail: 'Send Authorization: Bearer <DEXCOM_RELAY_API_KEY>' }));
    }
    reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const onCallback = request.routeOptions.url === CALLBACK_URL;
    if (error.validation) {
      if (onCallback) return sendCallbackPage(reply, 'incomplete');
      return sendProblem(reply, problem(400, describeValidationError(error.validation as never, error.validationContext)));
    }
    if (isRelayError(error)) {
      return sendProblem(reply, problem(error.status, { detail: error.message, ...(error.field === undefined ? {} : { field: error.field }), ...(error.reason === undefined ? {} : { reason: error.reason }) }));
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: { name: error.name, code: error.code } }, 'request failed');
    if (onCallback) return sendCallbackPage(reply, status === 500 ? 'unavailable' : 'incomplete');
    // Parser messages can quote the body; answer with a fixed sentence per case instead.
    const detail = error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Send the body as application/json'
      : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The JSON body is empty'
      : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'The body is too large'
      : status === 500 ? 'The relay failed to answer; see its logs' : 'The request is not valid JSON or HTTP';
    return sendProblem(reply, problem(status, { detail, ...(status === 400 ? { field: 'body', reason: 'syntax' } : {}) }));
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, { detail: `No route ${request.method} for this path` })));

  const handlers = routeHandlers(relay, { stopping: () => stopping });
  for (const operation of specOperations()) {
    const handler = handlers[operation.operationId];
    if (handler === undefined) throw new Error(`No handler for operation ${operation.operationId} of spec/relay.openapi.yaml`);
    app.route({ method: operation.method, url: operation.url, schema: operation.schema, config: { public: !operation.authenticated }, handler });
  }
  await app.ready();
  return app;
}
