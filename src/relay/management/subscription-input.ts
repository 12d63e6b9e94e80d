import { RelayValidationError } from '../errors.js';
import type { RelayEventType, RelayRecordType, SubscriptionInput, SubscriptionPatch } from '../relay-types.js';

/** Every event type a subscription may ask for. */
export const RELAY_EVENT_TYPES: readonly RelayEventType[] = ['records.created', 'records.updated', 'records.deleted'];

/** Every record type a subscription may ask for. */
export const RELAY_RECORD_TYPES: readonly RelayRecordType[] = ['egvs', 'calibrations', 'events', 'alerts', 'devices'];

/** Longest subscriber URL accepted. */
const MAX_URL_LENGTH = 2048;

/**
 * Checks a subscriber URL: absolute http(s), no credentials, no fragment, at most 2048 characters.
 * (Where it points is the SSRF guard's job.)
 *
 * @throws RelayValidationError naming `url`.
 * @example
 * assertSubscriberUrl('https://hooks.example.com/dexcom');
 */
export function assertSubscriberUrl(url: unknown): asserts url is string {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) {
    throw new RelayValidationError(`url must be an http(s) URL of at most ${MAX_URL_LENGTH} characters, e.g. https://hooks.example.com/dexcom`, { field: 'url', reason: 'format' });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RelayValidationError('url must be an absolute URL, e.g. https://hooks.example.com/dexcom', { field: 'url', reason: 'format' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new RelayValidationError('url must use https (or http), e.g. https://hooks.example.com/dexcom', { field: 'url', reason: 'scheme' });
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new RelayValidationError('url must not carry a user name or password', { field: 'url', reason: 'credentials' });
  }
  if (parsed.hash !== '') throw new RelayValidationError('url must not have a #fragment', { field: 'url', reason: 'fragment' });
}

/** Checks an optional list of allowed values: null/undefined (all), or a non-empty list without repeats. */
function checkList<T extends string>(value: unknown, field: string, allowed: readonly T[]): readonly T[] | null | undefined {
  if (value === undefined || value === null) return value;
  if (!Array.isArray(value) || value.length === 0) {
    throw new RelayValidationError(`${field} must be a non-empty list of ${allowed.join(', ')}, or null for all`, { field, reason: 'type' });
  }
  value.forEach((item, index) => {
    if (!allowed.includes(item as T)) {
      throw new RelayValidationError(`${field}[${index}] must be one of ${allowed.join(', ')}`, { field: `${field}[${index}]`, reason: 'enum' });
    }
    if (value.indexOf(item) !== index) throw new RelayValidationError(`${field}[${index}] repeats ${String(item)}`, { field: `${field}[${index}]`, reason: 'unique' });
  });
  return value as T[];
}

/** Checks a `userKey`: a non-empty string of at most 256 characters. */
export function assertRelayUserKey(userKey: unknown, field = 'userKey'): asserts userKey is string {
  if (typeof userKey !== 'string' || userKey.length === 0 || userKey.length > 256) {
    throw new RelayValidationError(`${field} must be a non-empty string of at most 256 characters, e.g. 'patient-42'`, { field, reason: 'format' });
  }
}

/** A validated {@link SubscriptionInput} with nulls for "all". */
export interface ResolvedSubscriptionInput {
  readonly url: string;
  readonly userKey: string | null;
  readonly events: readonly RelayEventType[] | null;
  readonly recordTypes: readonly RelayRecordType[] | null;
}

/**
 * Validates the input of `subscriptions.create()` (the library path; the HTTP API validates against
 * the OpenAPI document first).
 *
 * @throws RelayValidationError naming the field.
 * @example
 * resolveSubscriptionInput({ url: 'https://hooks.example.com/dexcom', events: ['records.created'] });
 */
export function resolveSubscriptionInput(input: SubscriptionInput): ResolvedSubscriptionInput {
  if (typeof input !== 'object' || input === null) {
    throw new RelayValidationError(`A subscription needs at least a url, e.g. { url: 'https://hooks.example.com/dexcom' }`, { field: 'url', reason: 'required' });
  }
  assertSubscriberUrl(input.url);
  if (input.userKey !== undefined && input.userKey !== null) assertRelayUserKey(input.userKey);
  return {
    url: input.url,
    userKey: input.userKey ?? null,
    events: checkList(input.events, 'events', RELAY_EVENT_TYPES) ?? null,
    recordTypes: checkList(input.recordTypes, 'recordTypes', RELAY_RECORD_TYPES) ?? null,
  };
}

/**
 * Validates the input of `subscriptions.update()`: at least one field; `undefined` leaves a field as is.
 *
 * @throws RelayValidationError naming the field.
 * @example
 * resolveSubscriptionPatch({ status: 'disabled' });
 */
export function resolveSubscriptionPatch(patch: SubscriptionPatch): SubscriptionPatch {
  if (typeof patch !== 'object' || patch === null || Object.values(patch).every((v) => v === undefined)) {
    throw new RelayValidationError(`A change needs at least one of url, events, recordTypes, status, e.g. { status: 'disabled' }`, { field: 'body', reason: 'empty' });
  }
  if (patch.url !== undefined) assertSubscriberUrl(patch.url);
  if (patch.status !== undefined && patch.status !== 'enabled' && patch.status !== 'disabled') {
    throw new RelayValidationError(`status must be 'enabled' or 'disabled'`, { field: 'status', reason: 'enum' });
  }
  return {
    ...patch,
    ...(patch.events === undefined ? {} : { events: checkList(patch.events, 'events', RELAY_EVENT_TYPES) ?? null }),
    ...(patch.recordTypes === undefined ? {} : { recordTypes: checkList(patch.recordTypes, 'recordTypes', RELAY_RECORD_TYPES) ?? null }),
  };
}
