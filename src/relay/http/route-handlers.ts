import type { FastifyReply, FastifyRequest } from 'fastify';
import { relayOpenApiDocument } from '../../../generated/relay/spec-document.gen.js';
import { isRelayError } from '../errors.js';
import type { Relay, SubscriptionInput, SubscriptionPatch } from '../relay-types.js';
import { CALLBACK_PAGE_HEADERS, callbackPage, type CallbackOutcome } from './callback-page.js';
import { problem, sendProblem } from './problem.js';

/** A handler of one operation of the management API. */
export type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

type Params = { userKey?: string; id?: string };

const notFound = (reply: FastifyReply, what: string): FastifyReply => sendProblem(reply, problem(404, { detail: `No ${what} with this id` }));

/**
 * Answers the OAuth callback page for an outcome.
 *
 * @example
 * return sendCallbackPage(reply, 'bad_state');
 */
export function sendCallbackPage(reply: FastifyReply, outcome: CallbackOutcome): FastifyReply {
  const { status, html } = callbackPage(outcome);
  return reply.code(status).headers(CALLBACK_PAGE_HEADERS).send(html);
}

/**
 * The handler of every operationId of spec/relay.openapi.yaml, over a {@link Relay}. Requests
 * reach them validated; library errors (`RelayError`) are mapped by the app's error handler.
 *
 * @example
 * const handlers = routeHandlers(relay, { stopping: () => false });
 */
export function routeHandlers(relay: Relay, state: { stopping(): boolean }): Record<string, RouteHandler> {
  const params = (request: FastifyRequest): Params => request.params as Params;
  return {
    async createConnection(request, reply) {
      const { userKey } = request.body as { userKey: string };
      return reply.code(201).send(await relay.connections.create(userKey));
    },
    async listConnections() {
      return { data: await relay.connections.list() };
    },
    async getConnection(request, reply) {
      return (await relay.connections.get(params(request).userKey!)) ?? notFound(reply, 'connection');
    },
    async deleteConnection(request, reply) {
      return (await relay.connections.delete(params(request).userKey!)) ? reply.code(204).send() : notFound(reply, 'connection');
    },
    async oauthCallback(request, reply) {
      const { code, state } = request.query as { code: string; state: string };
      try {
        await relay.connections.complete(code, state);
        return sendCallbackPage(reply, 'connected');
      } catch (error) {
        if (isRelayError(error) && error.code === 'relay_oauth_state') return sendCallbackPage(reply, 'bad_state');
        if (isRelayError(error)) return sendCallbackPage(reply, 'refused_code');
        request.log.warn({ err: { name: (error as Error)?.name, code: (error as { code?: unknown })?.code } }, 'OAuth callback failed');
        return sendCallbackPage(reply, 'unavailable');
      }
    },
    async createSubscription(request, reply) {
      return reply.code(201).send(await relay.subscriptions.create(request.body as SubscriptionInput));
    },
    async listSubscriptions() {
      return { data: await relay.subscriptions.list() };
    },
    async getSubscription(request, reply) {
      return (await relay.subscriptions.get(params(request).id!)) ?? notFound(reply, 'subscription');
    },
    async updateSubscription(request, reply) {
      return (await relay.subscriptions.update(params(request).id!, request.body as SubscriptionPatch)) ?? notFound(reply, 'subscription');
    },
    async deleteSubscription(request, reply) {
      return (await relay.subscriptions.delete(params(request).id!)) ? reply.code(204).send() : notFound(reply, 'subscription');
    },
    async rotateSubscriptionSecret(request, reply) {
      return (await relay.subscriptions.rotateSecret(params(request).id!)) ?? notFound(reply, 'subscription');
    },
    async replaySubscription(request, reply) {
      const { since } = request.body as { since: string };
      const result = await relay.subscriptions.replay(params(request).id!, new Date(since));
      return result === undefined ? notFound(reply, 'subscription') : reply.code(202).send(result);
    },
    async listSubscriptionDeliveries(request, reply) {
      const { limit } = request.query as { limit?: number };
      const data = await relay.subscriptions.deliveries(params(request).id!, limit === undefined ? {} : { limit });
      return data === undefined ? notFound(reply, 'subscription') : { data };
    },
    async getHealth(_request, reply) {
      return state.stopping() ? reply.code(503).send({ status: 'stopping' }) : { status: 'ok' };
    },
    async getMetrics(_request, reply) {
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(await relay.metrics());
    },
    async getOpenApiDocument() {
      return relayOpenApiDocument;
    },
  };
}
