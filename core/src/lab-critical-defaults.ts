// Critical limits used for a LOINC that has no row in lab_critical_limits: illustrative adult
// limits, NOT a clinical reference. Each lab sets its own by inserting rows (docs/lab.md).
import type { CriticalLimit } from '@neva/analytics'

export const DEFAULT_CRITICAL_LIMITS: readonly CriticalLimit[] = [
  { loinc: '2823-3', unit: 'mmol/L', low: 2.5, high: 6.5 }, // potassium
  { loinc: '2951-2', unit: 'mmol/L', low: 120, high: 160 }, // sodium
  { loinc: '2345-7', unit: 'mmol/L', low: 2.2, high: 25 }, // glucose
  { loinc: '718-7', unit: 'g/dL', low: 6, high: 20 }, // haemoglobin
  { loinc: '777-3', unit: '10*3/uL', low: 20, high: 1000 }, // platelets
]
