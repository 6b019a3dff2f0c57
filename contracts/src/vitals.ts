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
  // Ventilator parameters (OPC UA ventilators); none of them scores in NEWS2.
  'fio2',
  'peep',
  'peak_airway_pressure',
  'tidal_volume',
  'minute_volume',
  'etco2',
  'ventilation_rate',
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
// Partition 4 (MDC_PART_DIM) × 65536 + term: L/min 3072, cmH2O 3904, mL 1618. L/min was 265856
// here until the ventilator work found 265216 in two independent sources.
const MDC_DIM_L_PER_MIN = 265216
const MDC_DIM_CM_H2O = 266048
const MDC_DIM_MILLI_L = 263762

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
  // Ventilator parameters. MDC codes as the ISO/IEEE 11073-10101 code system (2024-12-05) defines
  // them; LOINC as the German MII ICU module codes each with its MDC term (FiO2: the US Core
  // vital-signs code, the ICU module's FiO2 profile carrying no MDC code).
  // MDC_CONC_AWAY_O2_INSP: inspired oxygen concentration in airway gas, measured.
  fio2: vital({ name: 'fio2', mdc: 152196, mdcName: 'MDC_CONC_AWAY_O2_INSP', mdcUnit: MDC_DIM_PERCENT, loinc: '3150-0', unit: '%', min: 15, max: 100 }),
  // Applied (extrinsic) PEEP; LOINC 76248-4 "PEEP Respiratory system --on ventilator".
  peep: vital({ name: 'peep', mdc: 151976, mdcName: 'MDC_VENT_PRESS_AWAY_END_EXP_POS', mdcUnit: MDC_DIM_CM_H2O, loinc: '76248-4', unit: 'cm[H2O]', min: 0, max: 50 }),
  // Peak inspiratory pressure; LOINC 76531-3 "Pressure.max Respiratory system airway --on ventilator".
  peak_airway_pressure: vital({ name: 'peak_airway_pressure', mdc: 151973, mdcName: 'MDC_VENT_PRESS_AWAY_MAX', mdcUnit: MDC_DIM_CM_H2O, loinc: '76531-3', unit: 'cm[H2O]', min: 0, max: 120 }),
  // Tidal volume delivered by the ventilator; LOINC 76222-9 "Tidal volume Ventilator --on ventilator".
  tidal_volume: vital({ name: 'tidal_volume', mdc: 151980, mdcName: 'MDC_VENT_VOL_TIDAL', mdcUnit: MDC_DIM_MILLI_L, loinc: '76222-9', unit: 'mL', min: 0, max: 3000 }),
  // Inspired minute volume; LOINC 76009-0 "Inspired minute Volume during Mechanical ventilation".
  minute_volume: vital({ name: 'minute_volume', mdc: 152004, mdcName: 'MDC_VENT_VOL_MINUTE_INSP', mdcUnit: MDC_DIM_L_PER_MIN, loinc: '76009-0', unit: 'L/min', min: 0, max: 100 }),
  // End-tidal CO2 partial pressure; LOINC 19891-1 "Carbon dioxide [Partial pressure] in Exhaled gas --at end expiration".
  etco2: vital({ name: 'etco2', mdc: 151708, mdcName: 'MDC_CONC_AWAY_CO2_ET', mdcUnit: MDC_DIM_MMHG, loinc: '19891-1', unit: 'mm[Hg]', min: 0, max: 150 }),
  // The ventilator's breath rate, distinct from the patient's measured MDC_RESP_RATE (which NEWS2
  // scores); LOINC 33438-3 "Breath rate mechanical --on ventilator".
  ventilation_rate: vital({ name: 'ventilation_rate', mdc: 151586, mdcName: 'MDC_VENT_RESP_RATE', mdcUnit: MDC_DIM_RESP_PER_MIN, loinc: '33438-3', unit: '/min', min: 0, max: 150 }),
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
