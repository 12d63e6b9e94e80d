import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export arrives one level down.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => Ajv2020;

const SPEC_ID = 'https://dexcom-api-client.invalid/spec.json';

/**
 * JSON Schema 2020-12 validators for the schemas of an OpenAPI 3.1 document, by JSON pointer
 * (`/components/schemas/Egv`, or an inline schema such as
 * `/paths/~1v3~1users~1self~1egvs/get/parameters/0/schema`). Strict: an unknown keyword or format is
 * an error, so a typo cannot switch a check off; every format is asserted (ajv-formats, including
 * `int32`/`int64`/`double`). The OpenAPI-only keywords are annotations.
 *
 * @example
 * const validatorAt = specSchemaValidator(await readSpec('./spec/dexcom.openapi.yaml'));
 * validatorAt('/components/schemas/Egv')({ recordId: 'r', ... }); // true or false, errors on .errors
 */
export function specSchemaValidator(document: Record<string, unknown>): (pointer: string) => ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addVocabulary(['discriminator', 'example', 'externalDocs', 'xml', 'x-sensitive', 'x-dexcom-api-client-relay']);
  // The document is not itself a JSON Schema. Its three sections that hold schemas are added as one
  // schema whose top-level keys are annotations, so `$ref: '#/components/schemas/Egv'` resolves as
  // written and only the schemas asked for are compiled.
  ajv.addVocabulary(['components', 'paths', 'webhooks']);
  const sections = Object.fromEntries(['components', 'paths', 'webhooks'].filter((key) => key in document).map((key) => [key, document[key]]));
  ajv.addSchema({ $id: SPEC_ID, ...sections });
  return (pointer) => {
    const validate = ajv.getSchema(`${SPEC_ID}#${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    return validate;
  };
}
