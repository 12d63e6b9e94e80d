/**
 * dexcom-api-client: a typed TypeScript SDK for the Dexcom CGM API.
 *
 * @example
 * import { DexcomApiClient } from 'dexcom-api-client';
 * const dexcom = new DexcomApiClient({ environment: 'sandbox', accessToken });
 * const readings = await dexcom.getGlucoseReadings(start, end);
 */
export { DexcomApiClient, type DexcomApiClientOptions, type ReadOptions } from './client.js';
export { DEXCOM_ENVIRONMENTS, type DexcomEnvironment, isLoopbackHost, resolveEndpoint, type ResolvedEndpoint } from './environments.js';
export { assertDateRange, formatDexcomDate, splitIntoWindows, type TimeWindow } from './dates.js';
export { parseDexcomTimestamp } from './timestamps.js';
export * from './errors.js';
export { VERSION } from './version.js';
export type { AccessTokenProvider } from '../plugins/auth.js';
export { PipelineEvents, type PipelineEventMap, type PipelineEventName, type PipelineListener } from '../plugins/events.js';
export type { AttemptRecord, CallContext, FetchLike, Middleware } from '../plugins/middleware.js';
export { DexcomApi } from '../generated/sdk.gen.js';
export type * from '../generated/types.gen.js';
