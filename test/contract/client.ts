import { inject } from 'vitest';
import { DexcomApiClient, type DexcomApiClientOptions } from '../../src/index.js';

/** A DexcomApiClient pointed at the in-process Prism mock started by the global setup. */
export function prismClient(options: Partial<DexcomApiClientOptions> = {}): DexcomApiClient {
  return new DexcomApiClient({ baseUrl: inject('prismUrl'), accessToken: 'contract-test-token', ...options });
}
