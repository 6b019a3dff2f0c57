// Pieces every resource shares: references by key, instants, and the codings Neva uses.
import type { FhirRow } from '@neva/analytics'
import { fhirId } from './ids.js'

export type Resource = { resourceType: string; id: string } & Record<string, unknown>
export type Row = FhirRow & Record<string, any>

export const UCUM = 'http://unitsofmeasure.org'
export const NEVA = 'urn:neva'

export const iso = (ms: number) => new Date(ms).toISOString()
/** ClickHouse DateTime64 text ("2026-11-20 09:00:00.000", UTC) as ms. */
export const chTime = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`)
export const ref = (type: string, key: string, display?: string) => ({ reference: `${type}/${fhirId(key)}`, ...(display ? { display } : {}) })
export const patientRef = (row: Row) => ref('Patient', row.patient_id)
/** FHIR strings must not be empty; a missing value is left out. */
export const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined)
export const compact = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
