/**
 * Popular HTTP clients configured with retry equivalent to the SDK's default (3 attempts for a
 * GET on 408/429/5xx and network errors) and a 30 s per-attempt timeout where they have one.
 */
import axios from 'axios';
import axiosRetry, { exponentialDelay, isNetworkOrIdempotentRequestError } from 'axios-retry';
import { got } from 'got';
import ky from 'ky';
import createOpenApiClient from 'openapi-fetch';
import type { EgvsResponse } from '../../generated/types.gen.js';
import { type Contender, EGVS_PATH, QUERY, TOKEN, recordCount } from './contender.js';
import { retryingFetch } from './retrying-fetch.js';

const AUTH = { authorization: `Bearer ${TOKEN}` };
const ATTEMPT_TIMEOUT_MS = 30_000;

/**
 * ky (on global fetch) with `retry: { limit: 2 }`: 3 attempts, its default methods and statuses
 * (408, 413, 429, 500, 502, 503, 504), `Retry-After` honoured.
 *
 * @example
 * const client = kyClient('http://127.0.0.1:4010');
 */
export function kyClient(baseUrl: string): Contender {
  const client = ky.create({ prefixUrl: baseUrl, headers: AUTH, retry: { limit: 2 }, timeout: ATTEMPT_TIMEOUT_MS });
  const path = EGVS_PATH.slice(1);
  return {
    name: 'ky',
    config: 'retry { limit: 2 } (3 attempts), timeout 30 s',
    request: () => client.get(path, { searchParams: QUERY }).json().then(recordCount),
  };
}

/**
 * got (on node:http) with `retry: { limit: 2 }`: 3 attempts on its default statuses and network
 * errors, `Retry-After` honoured.
 *
 * @example
 * const client = gotClient('http://127.0.0.1:4010');
 */
export function gotClient(baseUrl: string): Contender {
  const client = got.extend({ prefixUrl: baseUrl, headers: AUTH, retry: { limit: 2 }, timeout: { request: ATTEMPT_TIMEOUT_MS } });
  const path = EGVS_PATH.slice(1);
  return {
    name: 'got',
    config: 'retry { limit: 2 } (3 attempts), timeout.request 30 s',
    request: () => client.get(path, { searchParams: QUERY }).json().then(recordCount),
  };
}

/**
 * axios (on node:http) with axios-retry: 2 retries with exponential delay on network errors and
 * 5xx for idempotent requests (its default), plus 429 (added, as the others retry it).
 *
 * @example
 * const client = axiosClient('http://127.0.0.1:4010');
 */
export function axiosClient(baseUrl: string): Contender {
  const client = axios.create({ baseURL: baseUrl, headers: AUTH, timeout: ATTEMPT_TIMEOUT_MS });
  axiosRetry(client, {
    retries: 2,
    retryDelay: exponentialDelay,
    retryCondition: (error) => isNetworkOrIdempotentRequestError(error) || error.response?.status === 429,
  });
  return {
    name: 'axios + axios-retry',
    config: 'retries 2 (3 attempts), exponential delay, timeout 30 s',
    request: () => client.get(EGVS_PATH, { params: QUERY }).then((r) => recordCount(r.data)),
  };
}

/** The one route openapi-fetch needs, typed from the generated response type (no openapi-typescript run). */
interface Paths {
  '/v3/users/self/egvs': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query: { startDate: string; endDate: string }; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: { 200: { headers: Record<string, unknown>; content: { 'application/json': EgvsResponse } } };
    };
  };
}

/**
 * openapi-fetch as it comes: no retry, no timeout (it has neither).
 *
 * @example
 * const client = openapiFetchBare('http://127.0.0.1:4010');
 */
export function openapiFetchBare(baseUrl: string): Contender {
  const client = createOpenApiClient<Paths>({ baseUrl, headers: AUTH });
  return {
    name: 'openapi-fetch (bare)',
    config: 'no retry (openapi-fetch has none)',
    request: () => client.GET(EGVS_PATH, { params: { query: QUERY } }).then((r) => recordCount(r.data)),
  };
}

/**
 * openapi-fetch with a minimal retrying `fetch` (see `retrying-fetch.ts`), for a like-for-like row.
 *
 * @example
 * const client = openapiFetchRetry('http://127.0.0.1:4010');
 */
export function openapiFetchRetry(baseUrl: string): Contender {
  const client = createOpenApiClient<Paths>({ baseUrl, headers: AUTH, fetch: retryingFetch() });
  return {
    name: 'openapi-fetch + retry wrapper',
    config: 'hand-written retrying fetch, 3 attempts',
    request: () => client.GET(EGVS_PATH, { params: { query: QUERY } }).then((r) => recordCount(r.data)),
  };
}
