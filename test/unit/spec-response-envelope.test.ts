/**
 * The spec-driven envelope check: the codegen reader that turns each operation's 2xx schema into an
 * envelope, and the runtime checker that compares a parsed body with it. Through the client, see
 * spec-wrong-shape-bodies.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { responseEnvelopes as generatedEnvelopes } from '../../generated/dexcom-spec-metadata.gen.js';
import { readSpec } from '../../scripts/codegen/read-spec.ts';
import { responseEnvelopes, type SpecDocument } from '../../scripts/codegen/spec-facts.ts';
import { assertEnvelope, envelopeProblem, missingBody, type ResponseEnvelope } from '../../src/core/response-envelope.js';
import { DexcomInvalidResponseError, isDexcomError } from '../../src/index.js';

const egvs: ResponseEnvelope = generatedEnvelopes.getEstimatedGlucoseValuesV3;
const call = { operationId: 'getEstimatedGlucoseValuesV3', method: 'GET', pathTemplate: '/v3/users/self/egvs', status: 200 };
const envelope = (records: unknown, extra: Record<string, unknown> = {}) => ({ recordType: 'egv', recordVersion: '3.0', userId: 'u', records, ...extra });

describe('responseEnvelopes (codegen reader)', () => {
  const doc: SpecDocument = {
    paths: {
      '/things': {
        get: { operationId: 'listThings', responses: { '200': { $ref: '#/components/responses/Things' }, '404': { description: 'none' } } },
        post: { operationId: 'makeThing', responses: { '201': { description: 'made', content: { 'application/json': { schema: { type: ['object', 'null'], required: ['id'], properties: { id: { type: 'integer' } } } } } } } },
      },
      '/login': { get: { operationId: 'login', responses: { '302': { description: 'redirect' } } } },
    },
    components: {
      responses: { Things: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Things' } } } } },
      schemas: {
        Things: {
          type: 'object',
          required: ['kind', 'items', 'next', 'free'],
          properties: {
            kind: { $ref: '#/components/schemas/Kind' },
            items: { type: 'array', items: { $ref: '#/components/schemas/Thing' } },
            tags: { type: 'array', items: { type: 'string' } },
            next: { anyOf: [{ type: 'string' }, { type: 'null' }] },
            free: {},
          },
        },
        Kind: { anyOf: [{ type: 'string', enum: ['a'] }, { type: 'string' }] },
        Thing: { type: 'object' },
      },
    },
  };

  it('follows $refs to the 2xx JSON schema: top-level type, required properties with their JSON types, arrays of objects', () => {
    expect(responseEnvelopes(doc)).toEqual({
      listThings: {
        status: '200',
        type: ['object'],
        required: { kind: ['string'], items: ['array'], next: ['string', 'null'], free: [] },
        arraysOfObjects: ['items'],
      },
      makeThing: { status: '201', type: ['object', 'null'], required: { id: ['integer'] }, arraysOfObjects: [] },
    });
  });

  it('what the plugin generated is what the spec says now', async () => {
    const spec = (await readSpec('./spec/dexcom.openapi.yaml')) as SpecDocument;
    expect(generatedEnvelopes).toEqual(responseEnvelopes(spec));
    expect(Object.keys(generatedEnvelopes)).not.toContain('getLogin');
    expect(generatedEnvelopes.getDevicesV3.arraysOfObjects).toEqual(['records']);
    expect(generatedEnvelopes.postToken.required).toEqual({ access_token: ['string'] });
  });
});

describe('envelopeProblem (runtime checker)', () => {
  it.each([
    ['an empty object', {}, 'required property `recordType` is missing'],
    ['an array', [1, 2, 3], 'the body is an array, expected object'],
    ['null', null, 'the body is null, expected object'],
    ['a string', 'ok', 'the body is a string, expected object'],
    ['records as a string', envelope('abc'), '`records` is a string, expected array'],
    ['records as an object', envelope({ 0: {} }), '`records` is an object, expected array'],
    ['records of numbers', envelope([1, 2, 3]), '`records[0]` is a number, expected object'],
    ['a null record after good ones', envelope([{}, {}, null]), '`records[2]` is null, expected object'],
    ['records of arrays', envelope([[]]), '`records[0]` is an array, expected object'],
    ['userId as a number', envelope([], { userId: 42 }), '`userId` is a number, expected string'],
  ])('rejects %s', (_name, body, problem) => {
    expect(envelopeProblem(body, egvs)).toBe(problem);
  });

  it('accepts a matching envelope and leaves records lenient: unknown fields, unknown enum values, missing record fields', () => {
    expect(envelopeProblem(envelope([]), egvs)).toBeUndefined();
    expect(envelopeProblem(envelope([{ trend: 'tripleUp', value: 5.6, brandNew: { x: 1 } }, {}]), egvs)).toBeUndefined();
    expect(envelopeProblem(envelope([], { extra: true }), egvs)).toBeUndefined();
  });

  it('checks integer as an integer and an empty type list as any', () => {
    const shape: ResponseEnvelope = { status: '200', type: [], required: { n: ['integer'], any: [] }, arraysOfObjects: [] };
    expect(envelopeProblem({ n: 1, any: null }, shape)).toBeUndefined();
    expect(envelopeProblem({ n: 1.5, any: 'x' }, shape)).toBe('`n` is a number, expected integer');
    expect(envelopeProblem({ n: 1 }, shape)).toBe('required property `any` is missing');
  });

  it('never puts a value of the body into the problem', () => {
    const canary = 'CANARY-7f3a';
    for (const body of [canary, envelope(canary), envelope([canary]), envelope([], { userId: [canary] }), { [canary]: canary }]) {
      expect(envelopeProblem(body, egvs)).not.toContain(canary);
    }
  });
});

describe('assertEnvelope and missingBody', () => {
  it('throw DexcomInvalidResponseError: code invalid_response, not retryable, status and operationId set', () => {
    let thrown: unknown;
    try {
      assertEnvelope({}, egvs, call);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DexcomInvalidResponseError);
    expect(isDexcomError(thrown) && thrown.code).toBe('invalid_response');
    expect(thrown).toMatchObject({ retryable: false, status: 200, operationId: 'getEstimatedGlucoseValuesV3' });
    expect((thrown as Error).message).toBe('GET /v3/users/self/egvs returned HTTP 200 with a body that does not match the spec: required property `recordType` is missing');

    expect(() => assertEnvelope(envelope([]), egvs, call)).not.toThrow();

    const empty = missingBody({ ...call, status: 204 });
    expect(empty).toBeInstanceOf(DexcomInvalidResponseError);
    expect(empty).toMatchObject({ code: 'invalid_response', retryable: false, status: 204, message: 'GET /v3/users/self/egvs returned HTTP 204 with no body where the spec promises JSON' });
  });
});
