// The disease catalog as ClickHouse query parameters (arrays, 1-based indices), built from the
// same TypeScript lists the JavaScript generator reads, so the SQL generator draws from the same
// codes, wards, sites and distributions. Bound as parameters: no list item is ever SQL text.
import { DEFAULT_LAB_CODES, lookupLabCode } from '@neva/firmware-adapters'
import { DISEASES, DISTRICTS, LAB_NORMALS, SITES, SYMPTOMS, type Disease, type SymptomName } from '@neva/simulators'

/** As in simulators/src/emr/generate.ts. */
const SETTINGS: ReadonlyArray<Disease['setting']> = ['outpatient', 'ed_arrival', 'admission']
const ADMISSION_WARDS = ['Therapy', 'Cardiology', 'Surgery', 'Neurology']
const ED_LEVEL: Record<string, string> = {
  'I21.9': 'red', 'I63.9': 'red', 'A41.9': 'red',
  'J18.9': 'yellow', 'J44.1': 'yellow', 'I48.9': 'yellow', 'K35.8': 'yellow', 'I50.9': 'yellow',
}
const PANEL = ['WBC', 'HGB', 'CRP', 'GLU', 'K', 'CREA']

function overlap(a: Disease, b: Disease): number {
  let o = 0
  for (const [s, p] of Object.entries(a.symptoms)) o += Math.min(p, b.symptoms[s as SymptomName] ?? 0)
  return o
}

export function cityParams(): Record<string, unknown> {
  const symptoms = Object.keys(SYMPTOMS) as SymptomName[]
  const tests = Object.keys(LAB_NORMALS)
  const symptomIndex = (s: string) => symptoms.indexOf(s as SymptomName) + 1
  const testIndex = (t: string) => tests.indexOf(t) + 1
  const look = DISEASES.map((d) => DISEASES.map((x, j) => ({ j: j + 1, w: x !== d && overlap(d, x) > 0 ? overlap(d, x) + 0.05 : 0 })).filter((x) => x.w > 0))
  const ranges = tests.map((t) => LAB_NORMALS[t]!.range.split('-').map(Number) as [number, number])
  return {
    districts: [...DISTRICTS],
    sites: [...SITES],
    wards: ADMISSION_WARDS,
    settings: SETTINGS,
    d_weight: DISEASES.map((d) => d.weight),
    d_lo: DISEASES.map((d) => d.ages[0]),
    d_hi: DISEASES.map((d) => d.ages[1]),
    d_female: DISEASES.map((d) => d.female),
    d_setting: DISEASES.map((d) => SETTINGS.indexOf(d.setting)),
    d_icd: DISEASES.map((d) => d.icd10),
    d_level: DISEASES.map((d) => ED_LEVEL[d.icd10] ?? 'green'),
    d_sym: DISEASES.map((d) => Object.keys(d.symptoms).map(symptomIndex)),
    d_sym_p: DISEASES.map((d) => Object.values(d.symptoms)),
    // The most typical symptom, named when no other is (first of the highest, as a stable sort gives).
    d_top: DISEASES.map((d) => symptomIndex((Object.entries(d.symptoms) as Array<[string, number]>).sort((a, b) => b[1] - a[1])[0]![0])),
    d_look: look.map((l) => l.map((x) => x.j)),
    d_look_w: look.map((l) => l.map((x) => x.w)),
    d_labs: DISEASES.map((d) => d.labs.map((l) => testIndex(l.test))),
    d_lab_mean: DISEASES.map((d) => d.labs.map((l) => l.mean)),
    d_lab_sd: DISEASES.map((d) => d.labs.map((l) => l.sd)),
    s_code: symptoms.map((s) => SYMPTOMS[s].code),
    s_ru: symptoms.map((s) => SYMPTOMS[s].ru),
    s_en: symptoms.map((s) => SYMPTOMS[s].en),
    l_code: tests,
    l_loinc: tests.map((t) => lookupLabCode(DEFAULT_LAB_CODES, t)?.loinc ?? ''),
    l_mean: tests.map((t) => LAB_NORMALS[t]!.mean),
    l_sd: tests.map((t) => LAB_NORMALS[t]!.sd),
    l_unit: tests.map((t) => LAB_NORMALS[t]!.unit),
    l_range: tests.map((t) => LAB_NORMALS[t]!.range),
    l_lo: ranges.map((r) => r[0]),
    l_hi: ranges.map((r) => r[1]),
    l_dec: tests.map((t) => LAB_NORMALS[t]!.decimals),
    panel: PANEL.map(testIndex),
  }
}

/** The parameters' ClickHouse types, for the {name:Type} placeholders. */
export const CITY_PARAM_TYPES: Record<string, string> = {
  districts: 'Array(String)', sites: 'Array(String)', wards: 'Array(String)', settings: 'Array(String)',
  d_weight: 'Array(Float64)', d_lo: 'Array(Float64)', d_hi: 'Array(Float64)', d_female: 'Array(Float64)',
  d_setting: 'Array(UInt8)', d_icd: 'Array(String)', d_level: 'Array(String)',
  d_sym: 'Array(Array(UInt8))', d_sym_p: 'Array(Array(Float64))', d_top: 'Array(UInt8)',
  d_look: 'Array(Array(UInt8))', d_look_w: 'Array(Array(Float64))',
  d_labs: 'Array(Array(UInt8))', d_lab_mean: 'Array(Array(Float64))', d_lab_sd: 'Array(Array(Float64))',
  s_code: 'Array(String)', s_ru: 'Array(String)', s_en: 'Array(String)',
  l_code: 'Array(String)', l_loinc: 'Array(String)', l_mean: 'Array(Float64)', l_sd: 'Array(Float64)',
  l_unit: 'Array(String)', l_range: 'Array(String)', l_lo: 'Array(Float64)', l_hi: 'Array(Float64)', l_dec: 'Array(UInt8)',
  panel: 'Array(UInt8)',
}
