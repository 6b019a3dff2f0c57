// Vitals a patient (or a home device's app) sends: checked like device data (a unit Neva knows,
// converted to the stored UCUM unit, a value a living person can have) and turned into
// observations flagged patient_reported. Values outside the clinic's limits go to its queue.
import { createHash } from 'node:crypto'
import type { Observation } from '@neva/contracts'

export const HOME_GATEWAY = 'patient-app'

interface HomeVital {
  name: Observation['name']
  mdc: number
  loinc: string
  unit: string
  /** Accepted units → factor to the stored unit. */
  units: Record<string, number>
  /** Plausible (refused outside) and the clinic's limits (queued outside). */
  plausible: readonly [number, number]
  alert: { below?: number; atOrAbove?: number }
  label: string
}

export const HOME_VITALS: Readonly<Record<string, HomeVital>> = {
  systolic_bp: { name: 'nibp_systolic', mdc: 150021, loinc: '8480-6', unit: 'mm[Hg]', units: { 'mm[Hg]': 1, mmHg: 1 }, plausible: [40, 300], alert: { below: 90, atOrAbove: 180 }, label: 'systolic blood pressure' },
  diastolic_bp: { name: 'nibp_diastolic', mdc: 150022, loinc: '8462-4', unit: 'mm[Hg]', units: { 'mm[Hg]': 1, mmHg: 1 }, plausible: [20, 200], alert: { atOrAbove: 110 }, label: 'diastolic blood pressure' },
  pulse: { name: 'pulse_rate', mdc: 149530, loinc: '8867-4', unit: '/min', units: { '/min': 1, bpm: 1 }, plausible: [20, 250], alert: { below: 50, atOrAbove: 120 }, label: 'pulse' },
  spo2: { name: 'spo2', mdc: 150456, loinc: '59408-5', unit: '%', units: { '%': 1 }, plausible: [50, 100], alert: { below: 92 }, label: 'SpO2' },
  temperature: { name: 'temperature', mdc: 150344, loinc: '8310-5', unit: 'Cel', units: { Cel: 1, '°C': 1 }, plausible: [34, 43], alert: { atOrAbove: 38 }, label: 'temperature' },
  // Weight and glucose are coded metrics (name other): MDC_MASS_BODY_ACTUAL; glucose by its LOINC (15074-8) alone.
  weight: { name: 'other', mdc: 188736, loinc: '29463-7', unit: 'kg', units: { kg: 1, '[lb_av]': 0.45359237, lb: 0.45359237 }, plausible: [20, 350], alert: {}, label: 'weight' },
  glucose: { name: 'other', mdc: 0, loinc: '15074-8', unit: 'mmol/L', units: { 'mmol/L': 1, 'mg/dL': 1 / 18.016 }, plausible: [1, 40], alert: { below: 3.9, atOrAbove: 15 }, label: 'blood glucose' },
}

export class HomeVitalError extends Error {}

export interface HomeSubmission {
  id: string
  time: number
  values: Record<string, { value: number; unit: string }>
}

/**
 * An observation as the core stores it for a patient's app: source patient_app, which is not one
 * of the gateways' SOURCE_PROTOCOLS, so no gateway batch can claim it.
 */
export type HomeObservation = Omit<Observation, 'source'> & { source: 'patient_app' }

export interface HomeReading { key: string; observation: HomeObservation; outOfRange: string | null }

/** A stable per-reading sequence number: the same submission always gives the same numbers. */
function seqOf(patientId: string, id: string, key: string): number {
  const h = createHash('sha256').update(`${patientId}\n${id}\n${key}`).digest()
  return Number(h.readBigUInt64BE(0) >> 12n) + 1
}

export const batchIdOf = (patientId: string, id: string) => `home:${createHash('sha256').update(`${patientId}\n${id}`).digest('hex').slice(0, 40)}`

export function homeReadings(patientId: string, sub: HomeSubmission, now: number): HomeReading[] {
  if (sub.time > now + 5 * 60_000) throw new HomeVitalError('time is in the future')
  const keys = Object.keys(sub.values)
  if (keys.length === 0) throw new HomeVitalError('no value is given')
  const out: HomeReading[] = []
  for (const key of keys) {
    const spec = Object.hasOwn(HOME_VITALS, key) ? HOME_VITALS[key]! : undefined
    if (!spec) throw new HomeVitalError(`${key.slice(0, 40)} is not a home vital (${Object.keys(HOME_VITALS).join(', ')})`)
    const { value, unit } = sub.values[key]!
    const factor = Object.hasOwn(spec.units, unit) ? spec.units[unit]! : undefined
    if (factor === undefined) throw new HomeVitalError(`${key}: unit must be one of ${Object.keys(spec.units).join(', ')}`)
    const v = Math.round(value * factor * 100) / 100
    if (!Number.isFinite(v) || v < spec.plausible[0] || v > spec.plausible[1]) throw new HomeVitalError(`${key} outside ${spec.plausible[0]}–${spec.plausible[1]} ${spec.unit}`)
    const low = spec.alert.below !== undefined && v < spec.alert.below
    const high = spec.alert.atOrAbove !== undefined && v >= spec.alert.atOrAbove
    out.push({
      key,
      outOfRange: low ? `${spec.label} ${v} ${spec.unit}, below ${spec.alert.below}` : high ? `${spec.label} ${v} ${spec.unit}, at or above ${spec.alert.atOrAbove}` : null,
      observation: {
        gateway_id: HOME_GATEWAY, seq: seqOf(patientId, sub.id, key), device_id: HOME_GATEWAY, patient_id: patientId, source: 'patient_app',
        mdc_code: spec.mdc, loinc: spec.loinc, name: spec.name, value: v, unit: spec.unit, device_time: sub.time, received_time: now,
        flags: ['patient_reported'], device_label: key, unit_as_sent: unit,
      },
    })
  }
  const sys = sub.values.systolic_bp?.value
  const dia = sub.values.diastolic_bp?.value
  if (sys !== undefined && dia !== undefined && dia >= sys) throw new HomeVitalError('diastolic_bp must be below systolic_bp')
  return out
}
