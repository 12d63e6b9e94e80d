import { PAGE_DAY } from '../support/egvs-page.js';

/** One HTTP client measured by the overhead benchmark. */
export interface Contender {
  /** Row label in the results table. */
  readonly name: string;
  /** What it is configured with, for the table (retry, timeouts, observability). */
  readonly config: string;
  /** Sends one GET for the one-day egvs page and resolves with the number of records it parsed. */
  request(): Promise<number>;
}

/** The bearer token every contender sends; the page server only checks that there is one. */
export const TOKEN = 'bench-token';

/** The query of the one-day page, as every contender sends it. */
export const QUERY: { startDate: string; endDate: string } = { ...PAGE_DAY };

/** Path of the endpoint under test. */
export const EGVS_PATH = '/v3/users/self/egvs';

/**
 * The records array of a parsed egvs page, or an error when the body is not one: a contender that
 * silently parsed nothing would look fast.
 *
 * @example
 * const count = recordCount(await response.json());
 */
export function recordCount(body: unknown): number {
  const records = (body as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) throw new Error('the response is not an egvs page');
  return records.length;
}
