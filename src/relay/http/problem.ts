import type { FastifyReply } from 'fastify';

/** Media type of every error body of the management API (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';

/** Problem type of a request that failed validation. */
export const VALIDATION_PROBLEM = 'urn:dexcom-relay:problem:validation';

/** An RFC 9457 problem detail as the management API answers it. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly field?: string;
  readonly reason?: string;
}

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * A problem for `status`: validation problems get their own type, everything else `about:blank`
 * with the status's title (RFC 9457 §4.2.1).
 *
 * @example
 * problem(404, { detail: 'No subscription with this id' });
 */
export function problem(status: number, extra: { detail?: string; field?: string; reason?: string } = {}): Problem {
  const validation = status === 400 && extra.field !== undefined;
  return {
    type: validation ? VALIDATION_PROBLEM : 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    ...(extra.detail === undefined ? {} : { detail: extra.detail }),
    ...(extra.field === undefined ? {} : { field: extra.field }),
    ...(extra.reason === undefined ? {} : { reason: extra.reason }),
  };
}

/**
 * Sends a problem as `application/problem+json`.
 *
 * @example
 * return sendProblem(reply, problem(401, { detail: 'Send Authorization: Bearer <DEXCOM_RELAY_API_KEY>' }));
 */
export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type(PROBLEM_JSON).send(body);
}
