/**
 * Starts Stoplight Prism in this process, mocking the API from spec/dexcom.openapi.yaml on a
 * loopback port. Used by the test setup, the demo (`npm start`) and `npm run mock`, so nobody has
 * to start a server by hand.
 */
import { resolve } from 'node:path';
import { createLogger } from '@stoplight/prism-core';
import { getHttpOperationsFromSpec } from '@stoplight/prism-http';
import { createServer } from '@stoplight/prism-http-server';

/** The Dexcom spec this repository maintains. */
export const SPEC_PATH = resolve(import.meta.dirname, '..', 'spec', 'dexcom.openapi.yaml');

/** Options of {@link startPrismMock}. */
export interface PrismMockOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Serve random schema-valid data instead of the spec's examples. Default false. */
  dynamic?: boolean;
  /** Log level of Prism itself. Default `silent`. */
  logLevel?: 'silent' | 'info' | 'warn' | 'error';
}

/** A running mock: its base URL and how to stop it. */
export interface PrismMock {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts Prism on 127.0.0.1 with request validation, response validation and security checks on,
 * so a request that breaks the spec fails (400, the spec's own BadRequest; 422 where none is
 * declared) and a response that breaks it fails (500).
 *
 * @example
 * const prism = await startPrismMock();
 * const dexcom = new DexcomApiClient({ baseUrl: prism.url, accessToken: 'sandbox-token' });
 * await prism.close();
 */
export async function startPrismMock(options: PrismMockOptions = {}): Promise<PrismMock> {
  const operations = await getHttpOperationsFromSpec(SPEC_PATH);
  const server = createServer(operations, {
    cors: false,
    config: {
      isProxy: false,
      checkSecurity: true,
      validateRequest: true,
      validateResponse: true,
      errors: true,
      upstreamProxy: undefined,
      mock: { dynamic: options.dynamic ?? false },
    },
    components: { logger: createLogger('prism', { level: options.logLevel ?? 'silent' }) },
  } as Parameters<typeof createServer>[1]);
  const url = await server.listen(options.port ?? 0, '127.0.0.1');
  return { url, close: () => server.close() };
}
