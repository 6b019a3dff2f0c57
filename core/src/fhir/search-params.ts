// Search parameters, validated strictly before any query: a value that is not a well-formed
// id, token or date is refused with its name, never passed on. Values reach ClickHouse only as
// bound parameters (FhirStore).
import type { FhirTimeBound } from '@neva/analytics'
import { fhirError } from './outcome.js'
import { keyOf } from './ids.js'

export type Query = Record<string, string | string[] | undefined>

export const MAX_COUNT = 1000
export const DEFAULT_COUNT = 100
const MAX_VALUES = 20

/** Every value of a parameter (repeated or comma-separated); [] when absent. */
export function values(query: Query, name: string, { commas = true } = {}): string[] {
  const raw = query[name]
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
  const out = commas ? list.flatMap((v) => v.split(',')) : list
  if (out.length > MAX_VALUES) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `${name}: at most ${MAX_VALUES} values`)
  return out
}

export function single(query: Query, name: string): string | undefined {
  const all = values(query, name, { commas: false })
  if (all.length > 1) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `${name} is given more than once`)
  return all[0]
}

/** patient=X or patient=Patient/X: the patient's key (Neva's patient id). */
export function patientParam(query: Query, names: readonly string[]): string | undefined {
  const given = names.filter((n) => query[n] !== undefined)
  if (given.length > 1) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `give one of ${given.join(', ')}`)
  if (given.length === 0) return undefined
  const value = single(query, given[0]!)!
  const id = value.startsWith('Patient/') ? value.slice('Patient/'.length) : value
  const key = keyOf(id)
  if (!key || !('key' in key)) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `${given[0]}: not a patient id of this server: ${JSON.stringify(value.slice(0, 80))}`)
  return key.key
}

const LOINC_CODE = /^\d{1,8}-\d$/
const MDC_CODE = /^\d{1,10}$/
const ICD10_CODE = /^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$/
const LOCAL_CODE = /^[A-Za-z0-9#%./_-]{1,32}$/

/** code=[system|]code,…: each code checked against its system's format. */
export function codeParam(query: Query, systems: Record<string, RegExp>): Array<{ system?: string; code: string }> | undefined {
  const list = values(query, 'code')
  if (list.length === 0) return undefined
  return list.map((token) => {
    const bar = token.indexOf('|')
    const system = bar >= 0 ? token.slice(0, bar) : undefined
    const code = bar >= 0 ? token.slice(bar + 1) : token
    const formats = system === undefined ? Object.values(systems) : systems[system] ? [systems[system]!] : []
    if (system !== undefined && formats.length === 0) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `code: unknown system ${JSON.stringify(system.slice(0, 80))} (known: ${Object.keys(systems).join(', ')})`)
    if (!formats.some((f) => f.test(code))) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `code: ${JSON.stringify(code.slice(0, 80))} is not a code of ${system ?? Object.keys(systems).join(' or ')}`)
    return system === undefined ? { code } : { system, code }
  })
}

export const CODE_FORMATS = { loinc: LOINC_CODE, mdc: MDC_CODE, icd10: ICD10_CODE, local: LOCAL_CODE }

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/

/** A FHIR date or dateTime as the interval it names: [start, end) in ms. */
export function dateInterval(text: string): { start: number; end: number } | undefined {
  const m = DATE.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, ms, zone] = m
  const year = Number(y), month = mo ? Number(mo) : 1, day = d ? Number(d) : 1
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined
  if (h === undefined) {
    const start = Date.UTC(year, month - 1, day)
    const end = d ? Date.UTC(year, month - 1, day + 1) : mo ? Date.UTC(year, month, 1) : Date.UTC(year + 1, 0, 1)
    return { start, end }
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return undefined
  const offset = zone === 'Z' ? 0 : (zone![0] === '-' ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * 60_000
  const start = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s ?? 0), Number((ms ?? '0').padEnd(3, '0'))) - offset
  const unit = ms !== undefined ? 1 : s !== undefined ? 1000 : 60_000
  return { start, end: start + unit }
}

/** date=[eq|ge|le|gt|lt]when, repeatable (all must hold). */
export function dateParam(query: Query, name = 'date'): FhirTimeBound[] {
  const bounds: FhirTimeBound[] = []
  for (const value of values(query, name, { commas: false })) {
    const m = /^(eq|ge|le|gt|lt)?(.*)$/.exec(value)!
    const prefix = m[1] ?? 'eq'
    const interval = dateInterval(m[2]!)
    if (!interval) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `${name}: ${JSON.stringify(value.slice(0, 80))} is not [eq|ge|le|gt|lt]YYYY[-MM[-DD[Thh:mm[:ss[.sss]](Z|±hh:mm)]]]`)
    if (prefix === 'eq') bounds.push({ op: '>=', ms: interval.start }, { op: '<', ms: interval.end })
    else if (prefix === 'ge') bounds.push({ op: '>=', ms: interval.start })
    else if (prefix === 'gt') bounds.push({ op: '>=', ms: interval.end })
    else if (prefix === 'le') bounds.push({ op: '<', ms: interval.end })
    else bounds.push({ op: '<', ms: interval.start })
  }
  return bounds
}

export function countParam(query: Query): number {
  const raw = single(query, '_count')
  if (raw === undefined) return DEFAULT_COUNT
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_COUNT) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `_count must be 1…${MAX_COUNT}`)
  return Number(raw)
}
