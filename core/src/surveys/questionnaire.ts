// The symptom questionnaire as data, on the model of the NCI's PRO-CTCAE (Patient-Reported
// Outcomes version of the Common Terminology Criteria for Adverse Events): each symptom term is
// asked by the attributes PRO-CTCAE gives it (frequency, severity, interference with usual
// activities, presence), each a 0–4 scale (presence: 0–1). Questions are Neva's own short wording,
// not the licensed item text. Fever is not a PRO-CTCAE term: it is asked with the measured
// temperature, because fever in the neutropenic days is what the risk rules look for first.
// Sources: docs/surveys.md.

export const ATTRIBUTES = ['frequency', 'severity', 'interference', 'presence'] as const
export type Attribute = (typeof ATTRIBUTES)[number]

/** The answer labels of each attribute, index = grade. */
export const SCALES: Record<Attribute, readonly string[]> = {
  frequency: ['never', 'rarely', 'occasionally', 'frequently', 'almost constantly'],
  severity: ['none', 'mild', 'moderate', 'severe', 'very severe'],
  interference: ['not at all', 'a little bit', 'somewhat', 'quite a bit', 'very much'],
  presence: ['no', 'yes'],
}

export interface SurveyItem {
  id: string
  /** The PRO-CTCAE symptom term, or null for Neva's own items (fever). */
  proCtcae: string | null
  label: string
  attributes: readonly Attribute[]
  /** Asks for a measured body temperature (°C) too. */
  temperature?: true
}

export const QUESTIONNAIRE_ID = 'neva-chemo-symptoms-v1'
/** Recall period of every question: the last 24 hours for daily surveys (PRO-CTCAE's default is 7 days). */
export const RECALL = 'in the last 24 hours'

export const SURVEY_ITEMS: readonly SurveyItem[] = [
  { id: 'fever', proCtcae: null, label: 'Fever', attributes: ['presence'], temperature: true },
  { id: 'chills', proCtcae: 'Chills', label: 'Shaking chills', attributes: ['frequency', 'severity'] },
  { id: 'nausea', proCtcae: 'Nausea', label: 'Nausea', attributes: ['frequency', 'severity'] },
  { id: 'vomiting', proCtcae: 'Vomiting', label: 'Vomiting', attributes: ['frequency', 'severity'] },
  { id: 'diarrhoea', proCtcae: 'Diarrhea', label: 'Loose or watery stools (diarrhoea)', attributes: ['frequency'] },
  { id: 'mouth_sores', proCtcae: 'Mouth/throat sores', label: 'Sores in the mouth or throat', attributes: ['severity', 'interference'] },
  { id: 'appetite', proCtcae: 'Decreased appetite', label: 'Decreased appetite', attributes: ['severity', 'interference'] },
  { id: 'pain', proCtcae: 'General pain', label: 'Pain', attributes: ['frequency', 'severity', 'interference'] },
  { id: 'fatigue', proCtcae: 'Fatigue', label: 'Tiredness, lack of energy', attributes: ['severity', 'interference'] },
  { id: 'shortness_of_breath', proCtcae: 'Shortness of breath', label: 'Shortness of breath', attributes: ['severity', 'interference'] },
  { id: 'rash', proCtcae: 'Rash', label: 'A rash', attributes: ['presence'] },
  { id: 'numbness', proCtcae: 'Numbness & tingling', label: 'Numbness or tingling in the hands or feet', attributes: ['severity', 'interference'] },
]

export const ITEMS_BY_ID: ReadonlyMap<string, SurveyItem> = new Map(SURVEY_ITEMS.map((i) => [i.id, i]))

/** Temperatures a thermometer at home can give; outside is a typing error, refused. */
export const TEMPERATURE_C = { min: 34, max: 43 } as const
