// Units as clinicians read them. Data and APIs keep UCUM ("mm[Hg]", "Cel", "/min"); the boards
// show these. A rate per minute reads by what is counted; a unit not listed is shown as sent.
const BY_UCUM = {
  'Cel': '°C',
  '[degF]': '°F',
  'mm[Hg]': 'mmHg',
  'cm[H2O]': 'cmH₂O',
  'L/min': 'L/min',
  'mL': 'mL',
  'mL/h': 'mL/h',
  '%': '%',
  'ms': 'ms',
  's': 's',
  '{ACVPU}': '',
  '{beat}/min': 'beats/min',
  '{breath}/min': 'breaths/min',
  '10*3/uL': '×10³/µL',
  '10*6/uL': '×10⁶/µL',
  '10*9/L': '×10⁹/L',
  'ug/L': 'µg/L',
  'umol/L': 'µmol/L',
}

/** "/min" by what it counts: breaths for respiratory and ventilation rates, beats for the rest. */
const BREATHS = new Set(['respiratory_rate', 'ventilation_rate'])

export function displayUnit(ucum, name) {
  if (typeof ucum !== 'string') return ''
  // Without the vital's name (an alarm's unit) a rate stays "/min": never a guess at what it counts.
  if (ucum === '/min' || ucum === '1/min') return name === undefined ? '/min' : BREATHS.has(name) ? 'breaths/min' : 'beats/min'
  return Object.hasOwn(BY_UCUM, ucum) ? BY_UCUM[ucum] : ucum
}
