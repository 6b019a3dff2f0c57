// Where each set A parameter travels on the Neva path, with its code and its unit on the wire.
// Units are the Challenge's (physionet.org/content/challenge-2012, "General descriptors and time
// series"); a value is converted only where the wire's unit differs, and the conversion is named.
import type { VitalName } from '@neva/contracts'

export type Physionet2012Route =
  /** A vital the gateway's HL7 decoder knows by its MDC code (ORU^R01 from the bedside monitor). */
  | { path: 'hl7'; vital: VitalName }
  /** An OBX the monitor sends with another code: `system` MDC or LN (LOINC). */
  | { path: 'hl7-coded'; system: 'MDC' | 'LN'; code: string; name: string; unit: string; mdcUnit?: string }
  /** A result of the lab analyzer (ASTM E1394 R record), `testCode` in R-3. */
  | { path: 'astm'; testCode: string; loinc: string; name: string; unit: string }
  /** A variable of the ventilator's OPC UA server; `scale` is what the gateway config multiplies by. */
  | { path: 'opcua'; variable: string; vital?: VitalName; scale?: number }

export interface Physionet2012Parameter {
  route: Physionet2012Route
  /** The unit set A records the parameter in. */
  unit: string
  /** Why the gateway stores it nowhere, when it does not (sent anyway, as a real device would). */
  dropped?: string
}

const hl7 = (vital: VitalName, unit: string): Physionet2012Parameter => ({ route: { path: 'hl7', vital }, unit })
const lab = (testCode: string, loinc: string, name: string, unit: string): Physionet2012Parameter => ({ route: { path: 'astm', testCode, loinc, name, unit }, unit })

export const PHYSIONET2012_PARAMETERS: Readonly<Record<string, Physionet2012Parameter>> = {
  HR: hl7('heart_rate', '/min'),
  RespRate: hl7('respiratory_rate', '/min'),
  SysABP: hl7('art_systolic', 'mm[Hg]'),
  DiasABP: hl7('art_diastolic', 'mm[Hg]'),
  MAP: hl7('art_mean', 'mm[Hg]'),
  NISysABP: hl7('nibp_systolic', 'mm[Hg]'),
  NIDiasABP: hl7('nibp_diastolic', 'mm[Hg]'),
  NIMAP: hl7('nibp_mean', 'mm[Hg]'),
  Temp: hl7('temperature', 'Cel'),
  // GCS: IEEE 11073-10101 has no term for the Glasgow total we could confirm, so the monitor
  // codes it in LOINC; the gateway's HL7 decoder stores an OBX that is not a vital as a lab result.
  GCS: { route: { path: 'hl7-coded', system: 'LN', code: '9269-2', name: 'Glasgow coma score total', unit: '{score}' }, unit: '{score}' },
  // Weight from the bed scale: MDC_MASS_BODY_ACTUAL in kg, stored as a coded metric (name other).
  Weight: {
    route: { path: 'hl7-coded', system: 'MDC', code: '188736', name: 'MDC_MASS_BODY_ACTUAL', unit: 'kg', mdcUnit: '263875^MDC_DIM_KILO_G^MDC' },
    unit: 'kg',
  },
  // SaO2 is arterial oxygen saturation from a blood gas, not SpO2 (pulse oximetry): a lab result.
  SaO2: lab('SAO2', '2708-6', 'Oxygen saturation in Arterial blood', '%'),
  // FiO2 is recorded as a fraction (0.21–1); Neva's fio2 is in %: the gateway's OPC UA node
  // config multiplies by 100 (its `scale`), the ventilator exposes the fraction as recorded.
  FiO2: { route: { path: 'opcua', variable: 'FiO2', vital: 'fio2', scale: 100 }, unit: '1' },
  MechVent: {
    route: { path: 'opcua', variable: 'MechVent' },
    unit: '{on}',
    dropped: 'no vital nor MDC code in the gateway\'s table for "on mechanical ventilation": its OPC UA config cannot map the variable',
  },
  Lactate: lab('LACT', '2524-7', 'Lactate [Moles/volume] in Serum or Plasma', 'mmol/L'),
  Creatinine: lab('CREA', '2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 'mg/dL'),
  BUN: lab('BUN', '3094-0', 'Urea nitrogen [Mass/volume] in Serum or Plasma', 'mg/dL'),
  WBC: lab('WBC', '6690-2', 'Leukocytes [#/volume] in Blood by Automated count', '10*3/uL'),
  Platelets: lab('PLT', '777-3', 'Platelets [#/volume] in Blood by Automated count', '10*3/uL'),
  HCO3: lab('HCO3', '1963-8', 'Bicarbonate [Moles/volume] in Serum or Plasma', 'mmol/L'),
  pH: lab('PH', '2744-1', 'pH of Arterial blood', '[pH]'),
  PaO2: lab('PAO2', '2703-7', 'Oxygen [Partial pressure] in Arterial blood', 'mm[Hg]'),
  PaCO2: lab('PACO2', '2019-8', 'Carbon dioxide [Partial pressure] in Arterial blood', 'mm[Hg]'),
  K: lab('K', '2823-3', 'Potassium [Moles/volume] in Serum or Plasma', 'mmol/L'),
  Na: lab('NA', '2951-2', 'Sodium [Moles/volume] in Serum or Plasma', 'mmol/L'),
  // The Challenge documents Mg in mmol/L; sent with that unit, as recorded.
  Mg: lab('MG', '2601-3', 'Magnesium [Moles/volume] in Serum or Plasma', 'mmol/L'),
  Glucose: lab('GLU', '2345-7', 'Glucose [Mass or Moles/volume] in Serum or Plasma', 'mg/dL'),
  HCT: lab('HCT', '4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count', '%'),
  Albumin: lab('ALB', '1751-7', 'Albumin [Mass/volume] in Serum or Plasma', 'g/dL'),
  ALP: lab('ALP', '6768-6', 'Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma', 'U/L'),
  ALT: lab('ALT', '1742-6', 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', 'U/L'),
  AST: lab('AST', '1920-8', 'Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma', 'U/L'),
  Bilirubin: lab('TBIL', '1975-2', 'Bilirubin.total [Mass/volume] in Serum or Plasma', 'mg/dL'),
  Cholesterol: lab('CHOL', '2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma', 'mg/dL'),
  TroponinI: lab('TNI', '10839-9', 'Troponin I.cardiac [Mass/volume] in Serum or Plasma', 'ug/L'),
  TroponinT: lab('TNT', '6598-7', 'Troponin T.cardiac [Mass/volume] in Serum or Plasma', 'ug/L'),
  // Urine output charted from the collection bag: no analyzer measures it, but it is a lab-style
  // result with a LOINC, and the analyzer line is the gateway's only path for such a number.
  Urine: lab('UO', '9187-6', 'Urine output', 'mL'),
}

/** The gateway's `lab_codes` for the analyzer's codes (its default table lacks most of them). */
export function physionet2012LabCodes(): Record<string, { loinc: string; name: string }> {
  const out: Record<string, { loinc: string; name: string }> = {}
  for (const p of Object.values(PHYSIONET2012_PARAMETERS)) if (p.route.path === 'astm') out[p.route.testCode] = { loinc: p.route.loinc, name: p.route.name }
  return out
}
