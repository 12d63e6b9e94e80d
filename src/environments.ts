import { DexcomConfigurationError } from './core/errors.js';
import { isLoopbackHost } from './core/loopback.js';

export { isLoopbackHost };

/** Base URL of each Dexcom environment. */
export const DEXCOM_ENVIRONMENTS = {
  /** Dexcom's sandbox with simulated users (`SandboxUser1` … `SandboxUser8`). */
  sandbox: 'https://sandbox-api.dexcom.com',
  /** Production, United States. */
  us: 'https://api.dexcom.com',
  /** Production, Europe and most of the world outside the US and Japan. */
  eu: 'https://api.dexcom.eu',
  /** Production, Japan. */
  jp: 'https://api.dexcom.jp',
} as const;

/** Name of a Dexcom environment: `'sandbox' | 'us' | 'eu' | 'jp'`. */
export type DexcomEnvironment = keyof typeof DEXCOM_ENVIRONMENTS;

/** Where a client sends its requests, after validation. */
export interface ResolvedEndpoint {
  /** The environment the base URL belongs to, or `custom` for a `baseUrl` override. */
  readonly environment: DexcomEnvironment | 'custom';
  /** Base URL without a trailing slash. */
  readonly baseUrl: string;
}

/**
 * Picks the base URL from `environment` (default `sandbox`) or a `baseUrl` override, and refuses
 * plain `http` to any host but loopback, so a token never crosses a network unencrypted.
 *
 * @example
 * resolveEndpoint({ environment: 'eu' }); // { environment: 'eu', baseUrl: 'https://api.dexcom.eu' }
 * resolveEndpoint({ baseUrl: 'http://127.0.0.1:4010' }); // a local mock
 */
export function resolveEndpoint(options: { environment?: DexcomEnvironment; baseUrl?: string }): ResolvedEndpoint {
  const { environment, baseUrl } = options;
  if (environment !== undefined && !Object.hasOwn(DEXCOM_ENVIRONMENTS, environment)) {
    throw new DexcomConfigurationError(
      `Unknown environment ${JSON.stringify(environment)}: use one of ${Object.keys(DEXCOM_ENVIRONMENTS).join(', ')}, e.g. new DexcomApiClient({ environment: 'sandbox', accessToken })`,
    );
  }
  if (baseUrl === undefined) {
    const name = environment ?? 'sandbox';
    return { environment: name, baseUrl: DEXCOM_ENVIRONMENTS[name] };
  }
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new DexcomConfigurationError(
      `baseUrl must be an absolute URL, e.g. new DexcomApiClient({ baseUrl: 'https://api.dexcom.com', accessToken })`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DexcomConfigurationError(`baseUrl must use https, e.g. 'https://api.dexcom.com' (got ${url.protocol})`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new DexcomConfigurationError(
      `Refusing plain http to ${url.hostname}: tokens are only sent over https, or over http to a loopback host such as 'http://127.0.0.1:4010'`,
    );
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new DexcomConfigurationError(`baseUrl must not carry credentials, a query or a fragment, e.g. 'https://api.dexcom.com'`);
  }
  const known = (Object.entries(DEXCOM_ENVIRONMENTS) as [DexcomEnvironment, string][]).find(([, u]) => u === url.origin);
  return { environment: known?.[0] ?? 'custom', baseUrl: url.href.replace(/\/+$/, '') };
}
