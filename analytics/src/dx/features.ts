// What the diagnosis model sees of an encounter, in separate groups: words of the complaint
// (stem-like prefixes that survive Russian inflection, and adjacent pairs), coded symptoms, age
// band, sex, earlier final diagnoses of the patient (chronic conditions shift the odds) and
// abnormal lab results around the encounter. A group that is absent is simply not evidence.

export interface DxInput {
  texts: readonly string[]
  codes?: readonly string[]
  age: number
  sex: string
  /** Final diagnoses of the patient in the two years before. */
  history?: readonly string[]
  /** Abnormal lab results near the encounter as "TEST:H" / "TEST:L". */
  labs?: readonly string[]
}

export const FEATURE_GROUPS = ['word', 'code', 'age', 'sex', 'history', 'lab'] as const
export type FeatureGroup = (typeof FEATURE_GROUPS)[number]
export type Features = Record<FeatureGroup, string[]>

/** Long enough to tell "головн(ая боль)" from "голово(кружение)", short enough to merge endings. */
const STEM = 6
const MAX_TOKENS = 400

export function stems(text: string): string[] {
  const out: string[] = []
  for (const m of text.toLowerCase().replaceAll('ё', 'е').matchAll(/\p{L}+/gu)) {
    // Prepositions and conjunctions ("в", "на", "of", "and") carry nothing.
    if (m[0].length >= 3) out.push(m[0].slice(0, STEM))
    if (out.length >= MAX_TOKENS) break
  }
  return out
}

export function ageBand(age: number): string {
  return age < 5 ? '0-4' : age < 15 ? '5-14' : `${Math.min(9, Math.floor(age / 10)) * 10}+`
}

export function features(input: DxInput): Features {
  const words = new Set<string>()
  for (const text of input.texts) {
    const s = stems(text)
    s.forEach((w, i) => {
      words.add(w)
      if (i > 0) words.add(`${s[i - 1]}_${w}`)
    })
  }
  return {
    word: [...words],
    code: [...new Set(input.codes ?? [])],
    age: [ageBand(input.age)],
    sex: [input.sex],
    history: [...new Set(input.history ?? [])],
    lab: [...new Set(input.labs ?? [])],
  }
}
