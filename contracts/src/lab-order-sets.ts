// Order sets ("packaged prescriptions"): for a preliminary diagnosis of the decision-support
// catalog (simulators/src/emr/catalog.ts), the laboratory tests that confirm or exclude it, each
// row with the guideline it follows. Curated data, not inferred: a lab changes it by editing this
// table (reviewed like code). Codes: ICD-10 of the diagnosis, LOINC and Neva's default lab code
// (firmware-adapters/src/lab-codes.ts names the analyzers' codes) of each test.
//
// Sources (the recommendation each row rests on):
// - NICE CG191, Pneumonia in adults: diagnosis and management (2014): CRP when the
//   diagnosis is unclear; in hospital, urea for CURB-65, blood cultures in moderate/high severity.
// - NICE NG185, Acute coronary syndromes (2020), and NICE DG40, High-sensitivity troponin tests for
//   the early rule out of NSTEMI (2020).
// - NICE NG106, Chronic heart failure in adults (2018): NT-proBNP in suspected heart failure; renal
//   function and electrolytes before treatment.
// - WHO, Use of glycated haemoglobin (HbA1c) in the diagnosis of diabetes mellitus (2011): HbA1c
//   ≥ 48 mmol/mol (6.5 %) as a diagnostic test; fasting plasma glucose.
// - NICE NG109, Urinary tract infection (lower): antimicrobial prescribing (2018): urine culture
//   in people at risk (men, pregnancy, older people, treatment failure).
// - Di Saverio S. et al., Diagnosis and treatment of acute appendicitis: 2020 update of the WSES
//   Jerusalem guidelines, World J Emerg Surg 15:27 (2020): white cell count and CRP in the scores.
// - NICE NG115, COPD in over 16s: diagnosis and management (2018): in hospital, arterial blood gases and full
//   blood count for an exacerbation.
import type { LabTest } from './lab-order.js'

export type OrderSetPurpose = 'confirm' | 'exclude'

export interface OrderSetTest extends LabTest {
  name: string
  purpose: OrderSetPurpose
}

export interface OrderSet {
  icd10: string
  source: string
  tests: readonly OrderSetTest[]
}

const t = (loinc: string, lab_code: string, name: string, purpose: OrderSetPurpose = 'confirm'): OrderSetTest => ({ loinc, lab_code, name, purpose })

export const LAB_ORDER_SETS: readonly OrderSet[] = [
  { icd10: 'J18.9', source: 'NICE CG191', tests: [t('1988-5', 'CRP', 'C-reactive protein'), t('6690-2', 'WBC', 'Leukocytes'), t('3094-0', 'UREA', 'Urea nitrogen'), t('600-7', 'BCULT', 'Blood culture')] },
  { icd10: 'I21.9', source: 'NICE NG185; NICE DG40', tests: [t('67151-1', 'TNTHS', 'Troponin T, high sensitivity'), t('2823-3', 'K', 'Potassium'), t('2160-0', 'CREA', 'Creatinine')] },
  { icd10: 'I50.9', source: 'NICE NG106', tests: [t('33762-6', 'NTBNP', 'NT-proBNP'), t('2160-0', 'CREA', 'Creatinine'), t('2951-2', 'NA', 'Sodium'), t('2823-3', 'K', 'Potassium'), t('718-7', 'HGB', 'Hemoglobin')] },
  { icd10: 'E11.9', source: 'WHO 2011 (HbA1c in the diagnosis of diabetes)', tests: [t('4548-4', 'HBA1C', 'Hemoglobin A1c'), t('2345-7', 'GLU', 'Glucose')] },
  { icd10: 'N39.0', source: 'NICE NG109', tests: [t('630-4', 'UCULT', 'Urine culture'), t('5799-2', 'ULEU', 'Leukocyte esterase, urine strip'), t('5802-4', 'UNIT', 'Nitrite, urine strip')] },
  { icd10: 'K35.8', source: 'WSES Jerusalem guidelines 2020 (Di Saverio et al.)', tests: [t('6690-2', 'WBC', 'Leukocytes'), t('1988-5', 'CRP', 'C-reactive protein')] },
  { icd10: 'J44.1', source: 'NICE NG115', tests: [t('2744-1', 'PH', 'pH, arterial blood'), t('2019-8', 'PCO2', 'pCO2, arterial blood'), t('6690-2', 'WBC', 'Leukocytes'), t('1988-5', 'CRP', 'C-reactive protein', 'exclude')] },
]

export interface SuggestedOrderSetTest extends OrderSetTest {
  /** The suggested diagnoses this test serves, in the order they were suggested. */
  for: string[]
  /** Pre-checked: the clinician unticks what they do not want, then orders in one click. */
  checked: boolean
}

/**
 * The union of the order sets of the suggested diagnoses: each test once (by LOINC), listing the
 * diagnoses it serves; a test that confirms one and excludes another is kept as confirm. Diagnoses
 * without a set add nothing. Most likely diagnosis first, then the table's order.
 */
export function orderSetFor(icd10s: readonly string[], sets: readonly OrderSet[] = LAB_ORDER_SETS): { tests: SuggestedOrderSetTest[]; sources: string[]; without_set: string[] } {
  const byLoinc = new Map<string, SuggestedOrderSetTest>()
  const sources: string[] = []
  const without: string[] = []
  for (const code of icd10s) {
    const set = sets.find((s) => s.icd10 === code)
    if (!set) {
      without.push(code)
      continue
    }
    if (!sources.includes(set.source)) sources.push(set.source)
    for (const test of set.tests) {
      const seen = byLoinc.get(test.loinc)
      if (!seen) byLoinc.set(test.loinc, { ...test, for: [code], checked: true })
      else {
        if (!seen.for.includes(code)) seen.for.push(code)
        if (test.purpose === 'confirm') seen.purpose = 'confirm'
      }
    }
  }
  return { tests: [...byLoinc.values()], sources, without_set: without }
}
