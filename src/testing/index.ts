/**
 * `dexcom-api-client/testing`: helpers for your own tests.
 *
 * @example
 * import { startPrismMock } from 'dexcom-api-client/testing';
 * const mock = await startPrismMock();
 * const dexcom = new DexcomApiClient({ baseUrl: mock.url, accessToken: 'test-token' });
 * // ... your tests ...
 * await mock.close();
 */
export { DEXCOM_SPEC_PATH, startPrismMock, type PrismMock, type PrismMockOptions } from './prism-mock.js';

// Conformance suites: run them against your own store.
export { tokenStoreConformance, type TokenStoreFixture, type TokenStoreTestApi } from './conformance/token-store.js';
export { type CheckpointStoreConformanceApi, type CheckpointStoreFixture, checkpointStoreConformance } from './conformance/checkpoint-store.js';
export { type ConformanceTestApi, rateLimitStoreConformance, type RateLimitStoreFixture } from './conformance/rate-limit-store.js';
