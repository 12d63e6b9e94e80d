import { describe, expect, it } from 'vitest';
import { sensitiveFields } from '../../generated/dexcom-spec-metadata.gen.js';
import { dexcomRedactPaths, REDACTED, redactBody, redactedBodyOf, redactHeaders, redactQuery, requestSecrets } from '../../plugins/redaction.js';
import { operationFacts, sensitiveFacts } from '../../scripts/codegen/spec-facts.js';

describe('redaction', () => {
  it('allow-lists headers: unknown and credential headers become [REDACTED]', () => {
    const headers = new Headers({ authorization: 'Bearer secret', cookie: 'a=b', 'x-vendor-thing': 'v', 'content-type': 'application/json', 'retry-after': '5' });
    expect(redactHeaders(headers)).toEqual({
      authorization: REDACTED,
      cookie: REDACTED,
      'x-vendor-thing': REDACTED,
      'content-type': 'application/json',
      'retry-after': '5',
    });
  });

  it('allow-lists query parameters: state, code and client ids never appear', () => {
    const url = new URL('https://x/v2/oauth2/login?client_id=cid&redirect_uri=https%3A%2F%2Fapp&state=s3cret&scope=offline_access&startDate=2024-01-01T00:00:00');
    expect(redactQuery(url)).toEqual({ client_id: REDACTED, redirect_uri: REDACTED, state: REDACTED, scope: 'offline_access', startDate: '2024-01-01T00:00:00' });
  });

  it('redacts every x-sensitive property at any depth, in JSON and form bodies', async () => {
    expect(redactBody({ userId: 'u', records: [{ recordId: 'r', value: 99, nested: { transmitterId: 't' } }] })).toEqual({
      userId: REDACTED,
      records: [{ recordId: 'r', value: REDACTED, nested: { transmitterId: REDACTED } }],
    });
    const form = new Request('http://127.0.0.1/t', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=rt&client_id=cid&client_secret=cs',
    });
    expect(await redactedBodyOf(form)).toEqual({ grant_type: 'refresh_token', refresh_token: REDACTED, client_id: 'cid', client_secret: REDACTED });
    expect(await redactedBodyOf(new Response('<html>secret page</html>', { headers: { 'content-type': 'text/html' } }))).toBe('[text/html, 24 chars]');
  });

  it('cuts sensitive values and the secrets of the request out of free text that echoes them', async () => {
    const body = { error: 'unauthorized', error_description: 'token abc-123-token rejected for user u-98765', userId: 'u-98765' };
    expect(redactBody(body, ['abc-123-token'])).toEqual({ error: 'unauthorized', error_description: `token ${REDACTED} rejected for user ${REDACTED}`, userId: REDACTED });
    const request = new Request('http://127.0.0.1/v2/oauth2/token?state=st-4567', {
      method: 'POST',
      headers: { authorization: 'Bearer tok-999', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=rt-5555&client_secret=cs-7777',
    });
    expect((await requestSecrets(request)).sort()).toEqual(['Bearer tok-999', 'cs-7777', 'rt-5555', 'st-4567', 'tok-999']);
  });

  it('derives its lists from the spec', () => {
    expect(sensitiveFields.properties).toEqual(expect.arrayContaining(['userId', 'transmitterId', 'value', 'access_token', 'refresh_token', 'client_secret']));
    expect(dexcomRedactPaths).toEqual(expect.arrayContaining(['userId', 'records[*].value', 'records[*].transmitterId', 'access_token']));
  });
});

describe('spec facts (codegen)', () => {
  const spec = {
    security: [{ bearerAuth: [] }],
    paths: {
      '/v3/users/self/egvs': {
        get: {
          operationId: 'getEgvs',
          'x-dexcom-max-window-days': 30,
          parameters: [{ name: 'state', in: 'query', 'x-sensitive': true }],
          responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Envelope' } } } }, '401': { $ref: '#/components/responses/Unauthorized' } },
        },
      },
      '/token': { post: { operationId: 'postToken', security: [], deprecated: true, responses: {} } },
    },
    components: {
      schemas: {
        Envelope: { type: 'object', properties: { userId: { $ref: '#/components/schemas/UserId' }, records: { type: 'array', items: { $ref: '#/components/schemas/Egv' } } } },
        UserId: { type: 'string', 'x-sensitive': true },
        Egv: { type: 'object', properties: { recordId: { type: 'string' }, value: { anyOf: [{ type: 'integer' }, { type: 'null' }], 'x-sensitive': true } } },
      },
      responses: { Unauthorized: { content: { 'application/json': { schema: { type: 'object', properties: { secret: { type: 'string', 'x-sensitive': true } } } } } } },
    },
  };

  it('reads method, path, auth, deprecation and the window limit of every operation', () => {
    expect(operationFacts(spec)).toEqual({
      getEgvs: { method: 'GET', path: '/v3/users/self/egvs', deprecated: false, authenticated: true, maxWindowDays: 30 },
      postToken: { method: 'POST', path: '/token', deprecated: true, authenticated: false },
    });
  });

  it('collects sensitive properties, parameters and response paths, following $refs', () => {
    expect(sensitiveFacts(spec)).toEqual({ properties: ['secret', 'userId', 'value'], parameters: ['state'], headers: [], responsePaths: ['records[*].value', 'secret', 'userId'] });
  });
});
