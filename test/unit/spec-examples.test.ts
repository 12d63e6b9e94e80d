/**
 * Every example in the spec, and every Dexcom docs sample the project keeps
 * (test/fixtures/dexcom-samples), validates against its schema under JSON Schema 2020-12 with
 * formats asserted. Prism and Redocly check examples too, but each in its own dialect and only
 * where it looks; this is the one check of every example against the exact schema it illustrates.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSpec } from '../../scripts/codegen/read-spec.ts';
import { specSchemaValidator } from '../../scripts/codegen/spec-schema-validator.ts';

type Json = Record<string, unknown>;

const root = resolve(import.meta.dirname, '..', '..');
const SAMPLES = join(root, 'test', 'fixtures', 'dexcom-samples');

/** One example and the schema it illustrates, by JSON pointer into the spec. */
interface ExampleCase {
  where: string;
  schemaPointer: string;
  value: unknown;
}

let spec: Json;
let validatorAt: (pointer: string) => ValidateFunction;

beforeAll(async () => {
  spec = (await readSpec('./spec/dexcom.openapi.yaml')) as Json;
  validatorAt = specSchemaValidator(spec);
});

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function resolveRef(node: unknown): unknown {
  const ref = (node as Json | undefined)?.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return node;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((value, key) => (value as Json | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], spec);
}

/** Where a `$ref`'d schema lives, or the pointer of the inline one. */
function schemaPointerOf(schema: unknown, inlinePointer: string): string {
  const ref = (schema as Json | undefined)?.$ref;
  return typeof ref === 'string' && ref.startsWith('#/') ? ref.slice(1) : inlinePointer;
}

/** Examples of media types, parameters and headers (`example` or `examples: { name: { value | $ref } }`). */
function mediaExamples(holder: Json, pointer: string, where: string, schemaKey = 'schema'): ExampleCase[] {
  const schemaPointer = schemaPointerOf(holder[schemaKey], `${pointer}/${schemaKey}`);
  const cases: ExampleCase[] = [];
  if ('example' in holder) cases.push({ where: `${where} example`, schemaPointer, value: holder.example });
  for (const [name, entry] of Object.entries((holder.examples as Json | undefined) ?? {})) {
    const example = resolveRef(entry) as Json;
    if ('value' in example) cases.push({ where: `${where} examples.${name}`, schemaPointer, value: example.value });
  }
  return cases;
}

/** Every example the spec holds, next to the schema it belongs to. */
function specExamples(): ExampleCase[] {
  const cases: ExampleCase[] = [];
  const visitContent = (content: unknown, pointer: string, where: string) => {
    for (const [mediaType, media] of Object.entries((content as Json | undefined) ?? {})) {
      cases.push(...mediaExamples(media as Json, `${pointer}/${escapePointer(mediaType)}`, `${where} ${mediaType}`));
    }
  };
  const visitHeaders = (headers: unknown, pointer: string, where: string) => {
    for (const [name, entry] of Object.entries((headers as Json | undefined) ?? {})) {
      const header = resolveRef(entry) as Json;
      const headerPointer = schemaPointerOf(entry, `${pointer}/${escapePointer(name)}`);
      cases.push(...mediaExamples(header, headerPointer, `${where} header ${name}`));
    }
  };
  const visitOperation = (operation: Json, pointer: string, where: string) => {
    for (const [index, entry] of ((operation.parameters as unknown[] | undefined) ?? []).entries()) {
      const parameter = resolveRef(entry) as Json;
      cases.push(...mediaExamples(parameter, schemaPointerOf(entry, `${pointer}/parameters/${index}`), `${where} parameter ${String(parameter.name)}`));
    }
    const body = operation.requestBody as Json | undefined;
    if (body) visitContent((resolveRef(body) as Json).content, `${schemaPointerOf(body, `${pointer}/requestBody`)}/content`, `${where} request`);
    for (const [status, entry] of Object.entries((operation.responses as Json | undefined) ?? {})) {
      const response = resolveRef(entry) as Json;
      const responsePointer = schemaPointerOf(entry, `${pointer}/responses/${escapePointer(status)}`);
      visitContent(response.content, `${responsePointer}/content`, `${where} ${status}`);
      visitHeaders(response.headers, `${responsePointer}/headers`, `${where} ${status}`);
    }
  };
  for (const section of ['paths', 'webhooks'] as const) {
    for (const [path, item] of Object.entries((spec[section] as Json | undefined) ?? {})) {
      for (const [method, operation] of Object.entries(item as Json)) {
        if (typeof operation === 'object' && operation !== null && 'responses' in operation) {
          visitOperation(operation as Json, `/${section}/${escapePointer(path)}/${method}`, `${method.toUpperCase()} ${path}`);
        }
      }
    }
  }
  const components = (spec.components as Json | undefined) ?? {};
  for (const [name, parameter] of Object.entries((components.parameters as Json | undefined) ?? {})) {
    cases.push(...mediaExamples(parameter as Json, `/components/parameters/${escapePointer(name)}`, `parameter ${name}`));
  }
  visitHeaders(components.headers, '/components/headers', 'components');
  // Schema-level `examples: [...]` (JSON Schema's own annotation), anywhere inside a schema.
  const visitSchema = (node: unknown, pointer: string) => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) return node.forEach((child, index) => visitSchema(child, `${pointer}/${index}`));
    const schema = node as Json;
    if (Array.isArray(schema.examples)) {
      schema.examples.forEach((value, index) => cases.push({ where: `schema ${pointer} examples[${index}]`, schemaPointer: pointer, value }));
    }
    for (const [key, child] of Object.entries(schema)) {
      if (key !== 'examples' && key !== 'enum' && key !== 'const') visitSchema(child, `${pointer}/${escapePointer(key)}`);
    }
  };
  visitSchema(components.schemas, '/components/schemas');
  return cases;
}

/** A published Dexcom sample kept as a fixture: which operation's response it is, and the body. */
interface DocsSample {
  file: string;
  operationId: string;
  status: string;
  body: unknown;
}

async function docsSamples(): Promise<DocsSample[]> {
  const files = (await readdir(SAMPLES)).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(files.map(async (file) => ({ file, ...(JSON.parse(await readFile(join(SAMPLES, file), 'utf8')) as Omit<DocsSample, 'file'>) })));
}

/** The pointer of an operation's JSON response schema. */
function responseSchemaPointer(operationId: string, status: string): string {
  for (const [path, item] of Object.entries((spec.paths as Json | undefined) ?? {})) {
    for (const [method, operation] of Object.entries(item as Json)) {
      if ((operation as Json | undefined)?.operationId !== operationId) continue;
      const entry = ((operation as Json).responses as Json)[status];
      const responsePointer = schemaPointerOf(entry, `/paths/${escapePointer(path)}/${method}/responses/${status}`);
      const media = ((resolveRef(entry) as Json).content as Json)['application/json'] as Json;
      return schemaPointerOf(media.schema, `${responsePointer}/content/application~1json/schema`);
    }
  }
  throw new Error(`no operation ${operationId}`);
}

function problems(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}

describe('spec examples and Dexcom docs samples (JSON Schema 2020-12, formats asserted)', () => {
  it('every example in the spec validates against the schema it illustrates', () => {
    const cases = specExamples();
    // Every kind the walk knows is found: if one goes missing, the walk lost it.
    const wheres = cases.map((example) => example.where);
    for (const kind of [/^GET \/v3\/users\/self\/devices 200 application\/json examples\./, /^POST \/v2\/oauth2\/token request /, /^POST records\.created /, / parameter startDate example$/, / header Retry-After example$/, /^schema \/components\/schemas\/\w+ examples\[0\]$/]) {
      expect(wheres.some((where) => kind.test(where)), String(kind)).toBe(true);
    }
    const failures = cases.flatMap((example) => problems(validatorAt(example.schemaPointer), example.value).map((p) => `${example.where}: ${p}`));
    expect(failures).toEqual([]);
  });

  it("every Dexcom docs sample the project keeps validates against its operation's response schema", async () => {
    const samples = await docsSamples();
    expect(samples.map((sample) => sample.operationId)).toEqual(expect.arrayContaining(['getDevicesV3', 'getAlertsV3', 'getEventsV3']));
    const failures = samples.flatMap((sample) =>
      problems(validatorAt(responseSchemaPointer(sample.operationId, sample.status)), sample.body).map((p) => `${sample.file}: ${p}`),
    );
    expect(failures).toEqual([]);
  });

  it("Dexcom's v3 devices sample (no isDefaultSchedule, no transmitterId) is accepted, and a body that breaks the schema is not", async () => {
    const devices = (await docsSamples()).find((sample) => sample.operationId === 'getDevicesV3')!;
    const validate = validatorAt(responseSchemaPointer('getDevicesV3', '200'));
    expect(problems(validate, devices.body)).toEqual([]);

    const broken = structuredClone(devices.body) as { records: Array<Record<string, unknown>> };
    delete broken.records[0]!.transmitterGeneration;
    (broken.records[0]!.alertSchedules as Array<{ alertSettings: Array<Record<string, unknown>> }>)[0]!.alertSettings[0]!.enabled = 'yes';
    expect(problems(validate, broken)).toEqual(
      expect.arrayContaining([
        "/records/0 must have required property 'transmitterGeneration'",
        '/records/0/alertSchedules/0/alertSettings/0/enabled must be boolean',
      ]),
    );
  });

  it('formats are asserted: an int32 out of range fails', () => {
    // AlertSetting.snooze is `format: int32`: with formats switched off this would pass.
    const validate = validatorAt('/components/schemas/AlertSetting');
    expect(problems(validate, { alertName: 'high', enabled: true, snooze: 2 ** 40 })).toEqual(['/snooze must match format "int32"']);
  });

  it('open enums accept unknown values; a number where a string is promised still fails', () => {
    const validate = validatorAt('/components/schemas/Egv');
    const egv = { recordId: 'r', systemTime: '2022-02-06T09:12:35', displayTime: '2022-02-06T01:12:35', transmitterTicks: 1, unit: 'mg/dL', rateUnit: 'mg/dL/min', displayDevice: 'receiver', transmitterGeneration: 'g6' };
    expect(problems(validate, { ...egv, trend: 'tripleUp', value: 5.6 })).toEqual([]);
    expect(problems(validate, { ...egv, trend: 7 })).not.toEqual([]);
  });
});
