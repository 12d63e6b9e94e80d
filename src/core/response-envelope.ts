import { DexcomInvalidResponseError } from './errors.js';

/** A JSON type as JSON Schema names it. */
export type EnvelopeJsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/**
 * The top-level shape the spec promises for an operation's 2xx JSON body, as the codegen plugin
 * writes it to `generated/dexcom-spec-metadata.gen.ts` (`responseEnvelopes`).
 *
 * @example
 * const envelope: ResponseEnvelope = {
 *   status: '200',
 *   type: ['object'],
 *   required: { recordType: ['string'], recordVersion: ['string'], userId: ['string'], records: ['array'] },
 *   arraysOfObjects: ['records'],
 * };
 */
export interface ResponseEnvelope {
  /** The 2xx status the spec describes (`200`). */
  readonly status: string;
  /** JSON types the body itself may have; empty: any. */
  readonly type: readonly EnvelopeJsonType[];
  /** Required properties and the JSON types each may have (an empty list: any type). */
  readonly required: Readonly<Record<string, readonly EnvelopeJsonType[]>>;
  /** Properties holding arrays of objects: when present, every item must be a JSON object. */
  readonly arraysOfObjects: readonly string[];
}

/** Where a body came from, for the error (no value of the body ever goes into it). */
export interface EnvelopeCallInfo {
  /** OpenAPI operationId. */
  readonly operationId: string;
  /** HTTP method. */
  readonly method: string;
  /** Path template of the operation. */
  readonly pathTemplate: string;
  /** HTTP status of the response. */
  readonly status: number;
}

/**
 * What is wrong with `body` for `envelope`, or `undefined` when it matches. Checks the top-level
 * type, each required property's presence and JSON type, and that each array-of-objects property
 * holds objects; the records themselves stay unchecked, so unknown fields, open enums and raw
 * strings pass. The answer names properties and JSON types only, never a value.
 *
 * Cost: a few property reads plus one `typeof` per record, a small fraction of the `JSON.parse`
 * that produced the body (see `bench/envelope-check.ts`).
 *
 * @example
 * envelopeProblem({ records: 'abc' }, envelope); // 'required property `recordType` is missing'
 * envelopeProblem({ recordType: 'egv', recordVersion: '3.0', userId: 'u', records: [] }, envelope); // undefined
 */
export function envelopeProblem(body: unknown, envelope: ResponseEnvelope): string | undefined {
  if (!matchesType(body, envelope.type)) return `the body is ${describeType(body)}, expected ${envelope.type.join(' or ')}`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  for (const name in envelope.required) {
    const value = record[name];
    if (value === undefined) return `required property \`${name}\` is missing`;
    const types = envelope.required[name]!;
    if (!matchesType(value, types)) return `\`${name}\` is ${describeType(value)}, expected ${types.join(' or ')}`;
  }
  for (const name of envelope.arraysOfObjects) {
    const items = record[name];
    if (!Array.isArray(items)) continue;
    for (let index = 0; index < items.length; index++) {
      const item: unknown = items[index];
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        return `\`${name}[${index}]\` is ${describeType(item)}, expected object`;
      }
    }
  }
  return undefined;
}

/**
 * Throws a {@link DexcomInvalidResponseError} (`code: 'invalid_response'`, not retryable: the same
 * request would get the same body) when `body` does not match `envelope`.
 *
 * @example
 * assertEnvelope(parsedBody, responseEnvelopes.getDevicesV3, { operationId: 'getDevicesV3', method: 'GET', pathTemplate: '/v3/users/self/devices', status: 200 });
 */
export function assertEnvelope(body: unknown, envelope: ResponseEnvelope, call: EnvelopeCallInfo): void {
  const problem = envelopeProblem(body, envelope);
  if (problem !== undefined) throw invalidEnvelope(call, `a body that does not match the spec: ${problem}`);
}

/**
 * The error for a 2xx that promised JSON and carried no body (a 204, or an empty 200).
 *
 * @example
 * throw missingBody({ operationId: 'getDevicesV3', method: 'GET', pathTemplate: '/v3/users/self/devices', status: 204 });
 */
export function missingBody(call: EnvelopeCallInfo): DexcomInvalidResponseError {
  return invalidEnvelope(call, 'no body where the spec promises JSON');
}

function invalidEnvelope(call: EnvelopeCallInfo, problem: string): DexcomInvalidResponseError {
  return new DexcomInvalidResponseError(`${call.method} ${call.pathTemplate} returned HTTP ${call.status} with ${problem}`, {
    status: call.status,
    operationId: call.operationId,
    retryable: false,
  });
}

function matchesType(value: unknown, types: readonly EnvelopeJsonType[]): boolean {
  if (types.length === 0) return true;
  for (const type of types) {
    switch (type) {
      case 'object':
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) return true;
        break;
      case 'array':
        if (Array.isArray(value)) return true;
        break;
      case 'null':
        if (value === null) return true;
        break;
      case 'integer':
        if (Number.isInteger(value)) return true;
        break;
      default:
        if (typeof value === type) return true;
    }
  }
  return false;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}
