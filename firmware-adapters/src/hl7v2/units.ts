// Units of vital signs in OBX-6: an MDC unit code (IEEE 11073-10101 partition 4, the IHE PCD
// preference) or UCUM, and the spellings monitors use instead of UCUM. A unit is accepted when it
// means the code table's unit; no conversion is ever made.
import { VITALS, type VitalDefinition } from '@neva/contracts'
import { defaultCodeTable } from '../codes/code-table.js'

const MDC_PARTITION_DIM = 4

/** MDC unit codes → names, for encoders and messages (the units of the vitals Neva stores). */
export const MDC_UNIT_NAMES: Readonly<Record<number, string>> = {
  262688: 'MDC_DIM_PERCENT',
  263762: 'MDC_DIM_MILLI_L',
  264864: 'MDC_DIM_BEAT_PER_MIN',
  264928: 'MDC_DIM_RESP_PER_MIN',
  265216: 'MDC_DIM_X_L_PER_MIN',
  266016: 'MDC_DIM_MMHG',
  266048: 'MDC_DIM_CM_H2O',
  268192: 'MDC_DIM_DEGC',
}

// MDC unit code → UCUM, from the code table itself (MDC_DIM_BEAT_PER_MIN and MDC_DIM_RESP_PER_MIN
// both mean /min).
const UCUM_BY_MDC = new Map<number, string>()
for (const v of Object.values(VITALS)) if (v.mdcUnit !== 0) UCUM_BY_MDC.set(v.mdcUnit, v.unit)

// Spellings seen instead of UCUM, compared case-insensitively. `C` is UCUM's coulomb, but no
// monitor measures a temperature in coulombs.
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  '/min': ['/min', '1/min', 'min-1', '{beat}/min', '{beats}/min', 'beats/min', 'bpm', '{breath}/min', '{breaths}/min', 'breaths/min', 'br/min', 'brpm', 'rpm'],
  '%': ['%', 'percent', 'pct'],
  'mm[Hg]': ['mm[hg]', 'mmhg', 'mm hg'],
  'Cel': ['cel', 'degc', '°c', 'deg c', 'c'],
  'L/min': ['l/min', 'lpm', 'l/mn'],
  'cm[H2O]': ['cm[h2o]', 'cmh2o', 'cm h2o'],
  'mL': ['ml'],
}
const UCUM_BY_SPELLING = new Map<string, string>()
for (const [ucum, spellings] of Object.entries(SYNONYMS)) for (const s of spellings) UCUM_BY_SPELLING.set(s, ucum)

export function normalizeMdcUnit(code: number): number {
  return code < 0x10000 ? MDC_PARTITION_DIM * 0x10000 + code : code
}

/** OBX-6 as sent: identifier, text and coding system (CWE components 1–3). */
export interface SentUnit {
  code: string
  text: string
  system: string
}

/**
 * What an OBX-6 means in UCUM, or undefined when it names nothing Neva knows. An empty OBX-6 means
 * the table's unit (as the MQTT convention does).
 */
export function unitMeaning(unit: SentUnit): string | undefined {
  const system = unit.system.toUpperCase()
  const table = defaultCodeTable()
  if (/^\d{1,10}$/.test(unit.code) && (system === 'MDC' || system === '')) {
    const code = normalizeMdcUnit(Number(unit.code))
    return UCUM_BY_MDC.get(code) ?? table.unitByCode.get(code)?.ucum
  }
  for (const s of [unit.code, unit.text]) {
    const ucum = UCUM_BY_SPELLING.get(s.trim().toLowerCase())
    if (ucum) return ucum
    const byName = Object.entries(MDC_UNIT_NAMES).find(([, name]) => name === s)
    if (byName) return UCUM_BY_MDC.get(Number(byName[0]))
    const byRef = table.unitByRef.get(s.trim())
    if (byRef) return byRef.ucum
    // A UCUM code of the table's units, exactly as UCUM spells it ("ms", "mL/h").
    if ([...table.unitByCode.values()].some((u) => u.ucum === s.trim())) return s.trim()
  }
  // A sender that says its unit is UCUM (OBX-6.3 "UCUM") is taken at its word.
  if (system === 'UCUM' && /^[!-~]{1,32}$/.test(unit.code)) return unit.code
  return undefined
}

export function unitMatches(unit: SentUnit, def: VitalDefinition): boolean {
  if (unit.code === '' && unit.text === '') return true
  return unitMeaning(unit) === def.unit
}

export function describeUnit(unit: SentUnit): string {
  return [unit.code, unit.text, unit.system].filter((x) => x !== '').join('^')
}
