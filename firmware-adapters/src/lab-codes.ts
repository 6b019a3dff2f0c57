// Lab test codes: analyzers send their own mnemonics ("GLU", "WBC"); the gateway maps them to
// LOINC through a table its config can extend or override. Unknown codes are stored with
// loinc null, never guessed.
export interface LabCode {
  loinc: string
  /** What the code measures, for people reading the table. */
  name: string
}

export type LabCodeTable = ReadonlyMap<string, LabCode>

// A starting table of common chemistry and haematology mnemonics. Codes are matched
// case-insensitively after trimming.
const DEFAULTS: ReadonlyArray<[string, string, string]> = [
  ['GLU', '2345-7', 'Glucose [Mass or Moles/volume] in Serum or Plasma'],
  ['NA', '2951-2', 'Sodium [Moles/volume] in Serum or Plasma'],
  ['K', '2823-3', 'Potassium [Moles/volume] in Serum or Plasma'],
  ['CL', '2075-0', 'Chloride [Moles/volume] in Serum or Plasma'],
  ['CREA', '2160-0', 'Creatinine [Mass/volume] in Serum or Plasma'],
  ['UREA', '3091-6', 'Urea [Mass/volume] in Serum or Plasma'],
  ['CRP', '1988-5', 'C reactive protein [Mass/volume] in Serum or Plasma'],
  ['LACT', '2524-7', 'Lactate [Moles/volume] in Serum or Plasma'],
  ['TROP', '6598-7', 'Troponin T.cardiac [Mass/volume] in Serum or Plasma'],
  ['HBA1C', '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'],
  ['WBC', '6690-2', 'Leukocytes [#/volume] in Blood by Automated count'],
  ['RBC', '789-8', 'Erythrocytes [#/volume] in Blood by Automated count'],
  ['HGB', '718-7', 'Hemoglobin [Mass/volume] in Blood'],
  ['HCT', '4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count'],
  ['PLT', '777-3', 'Platelets [#/volume] in Blood by Automated count'],
  ['MCV', '787-2', 'MCV [Entitic volume] by Automated count'],
]

export const DEFAULT_LAB_CODES: LabCodeTable = new Map(DEFAULTS.map(([code, loinc, name]) => [code, { loinc, name }]))

/** The default table with `overrides` (analyzer code → LOINC) from the gateway config on top. */
export function labCodeTable(overrides: Readonly<Record<string, LabCode>> = {}): LabCodeTable {
  const table = new Map(DEFAULT_LAB_CODES)
  for (const [code, entry] of Object.entries(overrides)) table.set(normalizeLabCode(code), entry)
  return table
}

export function normalizeLabCode(code: string): string {
  return code.trim().toUpperCase()
}

export function lookupLabCode(table: LabCodeTable, code: string): LabCode | undefined {
  return table.get(normalizeLabCode(code))
}
