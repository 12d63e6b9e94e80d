/**
 * `dexcom-api-client/testing`: the Prism mock of the Dexcom API, built from the spec this package
 * ships, for your own tests (as stripe-mock is for Stripe). Prism is an optional peer dependency:
 * `npm install --save-dev @stoplight/prism-http-server @stoplight/prism-http @stoplight/prism-core`.
 * The repository's test setup, `npm start` and `npm run mock` use the same function.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { createServer as CreatePrismServer } from '@stoplight/prism-http-server';
import { DexcomConfigurationError } from '../core/errors.js';

/**
 * Path of the Dexcom OpenAPI document (spec/dexcom.openapi.yaml), found from this module's own
 * location, so it works from the repository's sources and from the installed package alike.
 *
 * @example
 * import { DEXCOM_SPEC_PATH } from 'dexcom-api-client/testing';
 */
export const DEXCOM_SPEC_PATH = findSpec(dirname(fileURLToPath(import.meta.url)));

function findSpec(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'spec', 'dexcom.openapi.yaml');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`spec/dexcom.openapi.yaml not found above ${from}`);
  }
}

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
  const [{ createLogger }, { getHttpOperationsFromSpec }, { createServer }] = await Promise.all([
    importPrism<typeof import('@stoplight/prism-core')>('@stoplight/prism-core'),
    importPrism<typeof import('@stoplight/prism-http')>('@stoplight/prism-http'),
    importPrism<typeof import('@stoplight/prism-http-server')>('@stoplight/prism-http-server'),
  ]);
  const operations = await getHttpOperationsFromSpec(DEXCOM_SPEC_PATH);
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
  } as Parameters<typeof CreatePrismServer>[1]);
  const url = await server.listen(options.port ?? 0, '127.0.0.1');
  return { url, close: () => server.close() };
}

async function importPrism<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    throw Object.assign(
      new DexcomConfigurationError(
        `startPrismMock needs Prism, an optional peer dependency: npm install --save-dev @stoplight/prism-http-server @stoplight/prism-http @stoplight/prism-core (missing: ${name})`,
      ),
      { cause: error },
    );
  }
}
