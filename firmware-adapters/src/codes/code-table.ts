// The coded-metric table as data (mdc-codes.json beside this file): MDC metrics beyond the named
// vitals (reference id, code, LOINC, UCUM) and MDC units → UCUM. Read once, validated; a row added
// to the file teaches every decoder a code without a code change.
import { Type, type Static } from '@sinclair/typebox'
import { VITALS, normalizeMdc, validator } from '@neva/contracts'
import { readFileSync } from 'node:fs'

const MdcRef = Type.String({ pattern: '^MDC_[A-Za-z0-9_]+$', maxLength: 64 })
const Code = Type.Integer({ minimum: 1, maximum: 0xffffffff })
const Metric = Type.Object({
  ref: MdcRef, code: Code,
  loinc: Type.String({ pattern: '^(\\d{1,7}-\\d)?$' }),
  ucum: Type.String({ maxLength: 32 }),
  label: Type.String({ maxLength: 64 }),
}, { additionalProperties: false })
const Unit = Type.Object({ ref: MdcRef, code: Code, ucum: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false })
export const CodeTableFile = Type.Object({
  about: Type.Optional(Type.String()),
  metrics: Type.Array(Metric),
  units: Type.Array(Unit),
}, { additionalProperties: false })
export type CodeTableFile = Static<typeof CodeTableFile>
export type MetricCode = Static<typeof Metric>
export type UnitCode = Static<typeof Unit>

export interface CodeTable {
  metricByCode: ReadonlyMap<number, MetricCode>
  metricByRef: ReadonlyMap<string, MetricCode>
  unitByCode: ReadonlyMap<number, UnitCode>
  unitByRef: ReadonlyMap<string, UnitCode>
}

/** A table from the file's content; throws naming the first bad row (the file ships with the code). */
export function codeTable(file: unknown): CodeTable {
  const check = validator(CodeTableFile)
  if (!check.check(file)) throw new Error(`MDC code table: ${check.explain(file)}`)
  const metricByCode = new Map<number, MetricCode>()
  const metricByRef = new Map<string, MetricCode>()
  const unitByCode = new Map<number, UnitCode>()
  const unitByRef = new Map<string, UnitCode>()
  for (const m of file.metrics) {
    const code = normalizeMdc(m.code)
    metricByCode.set(code, { ...m, code })
    metricByRef.set(m.ref, { ...m, code })
  }
  for (const u of file.units) {
    unitByCode.set(u.code, u)
    unitByRef.set(u.ref, u)
  }
  // The named vitals' units are part of the table whatever the file says.
  for (const v of Object.values(VITALS)) if (v.mdcUnit !== 0 && !unitByCode.has(v.mdcUnit)) unitByCode.set(v.mdcUnit, { ref: `MDC_DIM_${v.mdcUnit}`, code: v.mdcUnit, ucum: v.unit })
  return { metricByCode, metricByRef, unitByCode, unitByRef }
}

let loaded: CodeTable | undefined
/** The table shipped in firmware-adapters/src/codes/mdc-codes.json. */
export function defaultCodeTable(): CodeTable {
  loaded ??= codeTable(JSON.parse(readFileSync(new URL('./mdc-codes.json', import.meta.url), 'utf8')))
  return loaded
}
