// Code table for the vital signs Neva understands: IEEE 11073-10101 (MDC), LOINC and UCUM.
// Plausibility ranges reject values no living patient produces (HR 900, SpO2 140); they are not
// clinical alarm limits.

export const VITAL_NAMES = [
  'heart_rate',
  'pulse_rate',
  'spo2',
  'nibp_systolic',
  'nibp_diastolic',
  'nibp_mean',
  'art_systolic',
  'art_diastolic',
  'art_mean',
  'respiratory_rate',
  'temperature',
  'consciousness',
  'o2_flow',
] as const

export type VitalName = (typeof VITAL_NAMES)[number]

export interface VitalDefinition {
  readonly name: VitalName
  /** IEEE 11073-10101 32-bit code (partition × 65536 + term); 0 where the nomenclature has none. */
  readonly mdc: number
  readonly mdcName: string
  /** MDC unit code (MDC_DIM_*), 0 for dimensionless ordinals. */
  readonly mdcUnit: number
  readonly loinc: string
  /** UCUM unit. */
  readonly unit: string
  readonly min: number
  readonly max: number
  /** Values are whole categories (ACVPU), not measurements. */
  readonly ordinal?: boolean
}

const MDC_DIM_BEAT_PER_MIN = 264864
const MDC_DIM_PERCENT = 262688
const MDC_DIM_MMHG = 266016
const MDC_DIM_RESP_PER_MIN = 264928
const MDC_DIM_DEGC = 268192
const MDC_DIM_L_PER_MIN = 265856

function vital(d: VitalDefinition): VitalDefinition {
  return Object.freeze(d)
}

export const VITALS: Readonly<Record<VitalName, VitalDefinition>> = Object.freeze({
  heart_rate: vital({ name: 'heart_rate', mdc: 147842, mdcName: 'MDC_ECG_HEART_RATE', mdcUnit: MDC_DIM_BEAT_PER_MIN, loinc: '8867-4', unit: '/min', min: 0, max: 350 }),
  pulse_rate: vital({ name: 'pulse_rate', mdc: 149530, mdcName: 'MDC_PULS_OXIM_PULS_RATE', mdcUnit: MDC_DIM_BEAT_PER_MIN, loinc: '8867-4', unit: '/min', min: 0, max: 350 }),
  spo2: vital({ name: 'spo2', mdc: 150456, mdcName: 'MDC_PULS_OXIM_SAT_O2', mdcUnit: MDC_DIM_PERCENT, loinc: '59408-5', unit: '%', min: 0, max: 100 }),
  nibp_systolic: vital({ name: 'nibp_systolic', mdc: 150021, mdcName: 'MDC_PRESS_BLD_NONINV_SYS', mdcUnit: MDC_DIM_MMHG, loinc: '8480-6', unit: 'mm[Hg]', min: 0, max: 350 }),
  nibp_diastolic: vital({ name: 'nibp_diastolic', mdc: 150022, mdcName: 'MDC_PRESS_BLD_NONINV_DIA', mdcUnit: MDC_DIM_MMHG, loinc: '8462-4', unit: 'mm[Hg]', min: 0, max: 300 }),
  nibp_mean: vital({ name: 'nibp_mean', mdc: 150023, mdcName: 'MDC_PRESS_BLD_NONINV_MEAN', mdcUnit: MDC_DIM_MMHG, loinc: '8478-0', unit: 'mm[Hg]', min: 0, max: 300 }),
  art_systolic: vital({ name: 'art_systolic', mdc: 150033, mdcName: 'MDC_PRESS_BLD_ART_SYS', mdcUnit: MDC_DIM_MMHG, loinc: '8480-6', unit: 'mm[Hg]', min: 0, max: 350 }),
  art_diastolic: vital({ name: 'art_diastolic', mdc: 150034, mdcName: 'MDC_PRESS_BLD_ART_DIA', mdcUnit: MDC_DIM_MMHG, loinc: '8462-4', unit: 'mm[Hg]', min: 0, max: 300 }),
  art_mean: vital({ name: 'art_mean', mdc: 150035, mdcName: 'MDC_PRESS_BLD_ART_MEAN', mdcUnit: MDC_DIM_MMHG, loinc: '8478-0', unit: 'mm[Hg]', min: 0, max: 300 }),
  respiratory_rate: vital({ name: 'respiratory_rate', mdc: 151562, mdcName: 'MDC_RESP_RATE', mdcUnit: MDC_DIM_RESP_PER_MIN, loinc: '9279-1', unit: '/min', min: 0, max: 100 }),
  temperature: vital({ name: 'temperature', mdc: 150344, mdcName: 'MDC_TEMP', mdcUnit: MDC_DIM_DEGC, loinc: '8310-5', unit: 'Cel', min: 20, max: 46 }),
  // No 11073 term for ACVPU; LOINC 67775-7 "Level of responsiveness". Value is the index in ACVPU.
  consciousness: vital({ name: 'consciousness', mdc: 0, mdcName: '', mdcUnit: 0, loinc: '67775-7', unit: '{ACVPU}', min: 0, max: 4, ordinal: true }),
  // Supplemental oxygen: LOINC 3151-8 "Inhaled oxygen flow rate"; > 0 means "on oxygen" for NEWS2.
  o2_flow: vital({ name: 'o2_flow', mdc: 0, mdcName: '', mdcUnit: MDC_DIM_L_PER_MIN, loinc: '3151-8', unit: 'L/min', min: 0, max: 70 }),
})

/** ACVPU in order of worsening; the index is the stored value of `consciousness`. */
export const ACVPU = ['A', 'C', 'V', 'P', 'U'] as const
export type Acvpu = (typeof ACVPU)[number]

const MDC_PARTITION_SCADA = 2

/**
 * Normalizes an MDC code to 32 bits. Devices may send only the 16-bit term of the SCADA
 * partition (e.g. 19384 for MDC_PULS_OXIM_SAT_O2); IEEE 11073-10101: code = partition × 2^16 + term.
 */
export function normalizeMdc(code: number): number {
  return code < 0x10000 ? MDC_PARTITION_SCADA * 0x10000 + code : code
}

const byMdc = new Map<number, VitalDefinition>()
for (const v of Object.values(VITALS)) if (v.mdc !== 0) byMdc.set(v.mdc, v)

export function vitalByMdc(code: number): VitalDefinition | undefined {
  return byMdc.get(normalizeMdc(code))
}

export function isVitalName(name: string): name is VitalName {
  return Object.hasOwn(VITALS, name)
}
