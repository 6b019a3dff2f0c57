// The disease catalog behind the synthetic medical record: ICD-10 codes with age and sex priors,
// the symptoms patients complain of (in Russian and English, with their ICD-10 R codes), and the
// lab tests that move. Frequencies are rough outpatient/ED shares for a European city, enough to
// make decision support learn something real: diseases share symptoms, and age and sex shift the
// odds.

export interface Symptom {
  /** ICD-10 code of the symptom (chapter R, or the nearest). */
  code: string
  /** In the accusative, as it follows "Жалобы на". */
  ru: string
  en: string
}

export const SYMPTOMS = {
  cough: { code: 'R05', ru: 'кашель', en: 'cough' },
  fever: { code: 'R50.9', ru: 'температуру до 38,5', en: 'fever up to 38.5' },
  dyspnoea: { code: 'R06.0', ru: 'одышку', en: 'shortness of breath' },
  chestPain: { code: 'R07.4', ru: 'боль в груди', en: 'chest pain' },
  palpitations: { code: 'R00.2', ru: 'сердцебиение', en: 'palpitations' },
  headache: { code: 'R51', ru: 'головную боль', en: 'headache' },
  dizziness: { code: 'R42', ru: 'головокружение', en: 'dizziness' },
  abdominalPain: { code: 'R10.4', ru: 'боль в животе', en: 'abdominal pain' },
  nausea: { code: 'R11', ru: 'тошноту и рвоту', en: 'nausea and vomiting' },
  diarrhoea: { code: 'R19.7', ru: 'жидкий стул', en: 'diarrhoea' },
  dysuria: { code: 'R30.0', ru: 'боль при мочеиспускании', en: 'pain on passing urine' },
  frequency: { code: 'R35', ru: 'частое мочеиспускание', en: 'passing urine often' },
  soreThroat: { code: 'R07.0', ru: 'боль в горле', en: 'sore throat' },
  runnyNose: { code: 'R09.8', ru: 'насморк', en: 'runny nose' },
  fatigue: { code: 'R53', ru: 'слабость', en: 'tiredness' },
  weakness: { code: 'R29.8', ru: 'слабость в руке и ноге', en: 'weakness in an arm and a leg' },
  speech: { code: 'R47.0', ru: 'нарушение речи', en: 'slurred speech' },
  oedema: { code: 'R60.0', ru: 'отёки ног', en: 'swollen legs' },
  thirst: { code: 'R63.1', ru: 'жажду', en: 'thirst' },
  backPain: { code: 'M54.5', ru: 'боль в пояснице', en: 'low back pain' },
  wheeze: { code: 'R06.2', ru: 'свистящее дыхание', en: 'wheezing' },
  confusion: { code: 'R41.0', ru: 'спутанность сознания', en: 'confusion' },
  rash: { code: 'R21', ru: 'сыпь', en: 'rash' },
  jointPain: { code: 'M25.5', ru: 'боль в суставах', en: 'joint pain' },
} as const satisfies Record<string, Symptom>

export type SymptomName = keyof typeof SYMPTOMS

export interface LabEffect {
  /** Analyzer code (firmware-adapters/src/lab-codes.ts maps it to LOINC). */
  test: string
  /** Typical value in this disease, and its spread. */
  mean: number
  sd: number
}

export interface Disease {
  icd10: string
  name: string
  /** Relative frequency among encounters. */
  weight: number
  /** Age band where it is common (years); outside it the weight falls off. */
  ages: [number, number]
  /** Share of female patients among those who have it. */
  female: number
  /** Symptoms with the chance each is mentioned. */
  symptoms: Partial<Record<SymptomName, number>>
  labs: LabEffect[]
  /** Where it is usually seen. */
  setting: 'outpatient' | 'ed_arrival' | 'admission'
}

export const DISEASES: readonly Disease[] = [
  { icd10: 'J06.9', name: 'Acute upper respiratory infection', weight: 30, ages: [0, 90], female: 0.52, setting: 'outpatient',
    symptoms: { runnyNose: 0.8, soreThroat: 0.6, cough: 0.5, fever: 0.4, headache: 0.3, fatigue: 0.2 }, labs: [] },
  { icd10: 'J18.9', name: 'Pneumonia', weight: 6, ages: [50, 95], female: 0.45, setting: 'admission',
    symptoms: { cough: 0.9, fever: 0.8, dyspnoea: 0.7, chestPain: 0.3, fatigue: 0.4, confusion: 0.1 },
    labs: [{ test: 'CRP', mean: 120, sd: 60 }, { test: 'WBC', mean: 14, sd: 4 }] },
  { icd10: 'J45.9', name: 'Asthma', weight: 5, ages: [5, 60], female: 0.58, setting: 'outpatient',
    symptoms: { wheeze: 0.8, dyspnoea: 0.8, cough: 0.6, chestPain: 0.1 }, labs: [] },
  { icd10: 'J44.1', name: 'COPD with acute exacerbation', weight: 4, ages: [55, 95], female: 0.4, setting: 'ed_arrival',
    symptoms: { dyspnoea: 0.95, cough: 0.8, wheeze: 0.6, fatigue: 0.3 }, labs: [{ test: 'CRP', mean: 40, sd: 25 }] },
  { icd10: 'I21.9', name: 'Acute myocardial infarction', weight: 3, ages: [45, 95], female: 0.35, setting: 'ed_arrival',
    symptoms: { chestPain: 0.95, dyspnoea: 0.4, nausea: 0.3, dizziness: 0.2, palpitations: 0.1 },
    labs: [{ test: 'TROP', mean: 0.8, sd: 0.6 }] },
  { icd10: 'I10', name: 'Essential hypertension', weight: 12, ages: [40, 95], female: 0.55, setting: 'outpatient',
    symptoms: { headache: 0.6, dizziness: 0.4, palpitations: 0.2, fatigue: 0.2 }, labs: [] },
  { icd10: 'I50.9', name: 'Heart failure', weight: 4, ages: [60, 100], female: 0.5, setting: 'admission',
    symptoms: { dyspnoea: 0.9, oedema: 0.8, fatigue: 0.6, cough: 0.2 }, labs: [{ test: 'NA', mean: 134, sd: 4 }, { test: 'CREA', mean: 130, sd: 40 }] },
  { icd10: 'I48.9', name: 'Atrial fibrillation', weight: 3, ages: [55, 100], female: 0.45, setting: 'ed_arrival',
    symptoms: { palpitations: 0.9, dizziness: 0.4, dyspnoea: 0.4, fatigue: 0.3, chestPain: 0.15 }, labs: [{ test: 'K', mean: 4.0, sd: 0.5 }] },
  { icd10: 'I63.9', name: 'Cerebral infarction', weight: 2, ages: [55, 100], female: 0.48, setting: 'ed_arrival',
    symptoms: { weakness: 0.85, speech: 0.7, dizziness: 0.3, headache: 0.2, confusion: 0.3 }, labs: [{ test: 'GLU', mean: 7.5, sd: 2 }] },
  { icd10: 'E11.9', name: 'Type 2 diabetes mellitus', weight: 7, ages: [40, 95], female: 0.5, setting: 'outpatient',
    symptoms: { thirst: 0.7, frequency: 0.5, fatigue: 0.5 }, labs: [{ test: 'GLU', mean: 11, sd: 3 }, { test: 'HBA1C', mean: 8.2, sd: 1.2 }] },
  { icd10: 'N39.0', name: 'Urinary tract infection', weight: 7, ages: [15, 95], female: 0.8, setting: 'outpatient',
    symptoms: { dysuria: 0.9, frequency: 0.8, abdominalPain: 0.3, fever: 0.3, backPain: 0.2 }, labs: [{ test: 'WBC', mean: 11, sd: 3 }] },
  { icd10: 'K35.8', name: 'Acute appendicitis', weight: 2, ages: [8, 50], female: 0.48, setting: 'ed_arrival',
    symptoms: { abdominalPain: 0.98, nausea: 0.7, fever: 0.5, diarrhoea: 0.1 }, labs: [{ test: 'WBC', mean: 14, sd: 3 }, { test: 'CRP', mean: 60, sd: 40 }] },
  { icd10: 'A09', name: 'Infectious gastroenteritis', weight: 8, ages: [0, 90], female: 0.5, setting: 'outpatient',
    symptoms: { diarrhoea: 0.95, nausea: 0.7, abdominalPain: 0.6, fever: 0.4 }, labs: [{ test: 'K', mean: 3.4, sd: 0.4 }] },
  { icd10: 'K29.7', name: 'Gastritis', weight: 5, ages: [18, 80], female: 0.55, setting: 'outpatient',
    symptoms: { abdominalPain: 0.9, nausea: 0.5 }, labs: [] },
  { icd10: 'M54.5', name: 'Low back pain', weight: 9, ages: [25, 80], female: 0.52, setting: 'outpatient',
    symptoms: { backPain: 0.98, jointPain: 0.1 }, labs: [] },
  { icd10: 'G43.9', name: 'Migraine', weight: 4, ages: [15, 55], female: 0.75, setting: 'outpatient',
    symptoms: { headache: 0.98, nausea: 0.5, dizziness: 0.2 }, labs: [] },
  { icd10: 'A41.9', name: 'Sepsis', weight: 1.5, ages: [50, 100], female: 0.45, setting: 'admission',
    symptoms: { fever: 0.85, confusion: 0.4, dyspnoea: 0.4, fatigue: 0.5, palpitations: 0.2 },
    labs: [{ test: 'LACT', mean: 3.8, sd: 1.5 }, { test: 'CRP', mean: 180, sd: 80 }, { test: 'WBC', mean: 17, sd: 6 }] },
  { icd10: 'D50.9', name: 'Iron deficiency anaemia', weight: 3, ages: [15, 90], female: 0.75, setting: 'outpatient',
    symptoms: { fatigue: 0.9, dizziness: 0.4, dyspnoea: 0.3, palpitations: 0.2 }, labs: [{ test: 'HGB', mean: 95, sd: 12 }, { test: 'MCV', mean: 72, sd: 5 }] },
  { icd10: 'M17.9', name: 'Gonarthrosis', weight: 4, ages: [50, 95], female: 0.65, setting: 'outpatient',
    symptoms: { jointPain: 0.98 }, labs: [] },
  { icd10: 'L50.9', name: 'Urticaria', weight: 2, ages: [5, 70], female: 0.6, setting: 'outpatient',
    symptoms: { rash: 0.98, soreThroat: 0.05 }, labs: [] },
]

/** Reference values of the lab tests for a patient without the disease (mean, sd, unit, range). */
export const LAB_NORMALS: Record<string, { mean: number; sd: number; unit: string; range: string; decimals: number }> = {
  CRP: { mean: 3, sd: 2, unit: 'mg/L', range: '0-5', decimals: 0 },
  WBC: { mean: 7, sd: 1.5, unit: '10*9/L', range: '4.0-9.0', decimals: 1 },
  TROP: { mean: 0.005, sd: 0.003, unit: 'ng/mL', range: '0-0.014', decimals: 3 },
  NA: { mean: 140, sd: 2, unit: 'mmol/L', range: '135-145', decimals: 0 },
  K: { mean: 4.3, sd: 0.3, unit: 'mmol/L', range: '3.5-5.1', decimals: 1 },
  CREA: { mean: 80, sd: 15, unit: 'umol/L', range: '53-106', decimals: 0 },
  GLU: { mean: 5.2, sd: 0.6, unit: 'mmol/L', range: '3.9-6.1', decimals: 1 },
  HBA1C: { mean: 5.4, sd: 0.3, unit: '%', range: '4.0-6.0', decimals: 1 },
  LACT: { mean: 1.1, sd: 0.4, unit: 'mmol/L', range: '0.5-2.2', decimals: 1 },
  HGB: { mean: 140, sd: 12, unit: 'g/L', range: '120-160', decimals: 0 },
  MCV: { mean: 88, sd: 4, unit: 'fL', range: '80-100', decimals: 0 },
}

export const DISTRICTS = ['Central', 'North', 'North-East', 'East', 'South-East', 'South', 'South-West', 'West', 'North-West', 'Riverside'] as const
export const SITES = ['City Hospital 1', 'City Hospital 2', 'Children\'s Hospital', 'Polyclinic 3', 'Polyclinic 7', 'Polyclinic 12'] as const
