// The latest reading of each NEWS2 parameter per patient, fed with observations.
import { ACVPU, NEWS2_PARAMETERS, type ModelVerdict, type News2Parameter, type Observation, type TriageResult } from '@neva/contracts'
import type { VitalSet } from './news2.js'

type Input = { value: number | boolean | string; time: number }

/** Which observation feeds which NEWS2 parameter. */
export const PARAMETER_OF: Partial<Record<Observation['name'], News2Parameter>> = {
  respiratory_rate: 'respiratory_rate',
  spo2: 'spo2',
  o2_flow: 'on_oxygen',
  fio2: 'on_oxygen',
  nibp_systolic: 'systolic_bp',
  art_systolic: 'systolic_bp',
  heart_rate: 'pulse',
  pulse_rate: 'pulse',
  consciousness: 'consciousness',
  temperature: 'temperature',
}

/** Room air is 21 % oxygen: a ventilator or blender set above it is supplemental oxygen. */
const ROOM_AIR_FIO2 = 21

/** Whether a reading that feeds "on oxygen" says the patient is on supplemental oxygen. */
export function onOxygen(o: Pick<Observation, 'name'> & { value: number }): boolean {
  return o.name === 'fio2' ? o.value > ROOM_AIR_FIO2 : o.value > 0
}

/** Readings the device itself marked unreliable do not score. */
export const UNRELIABLE = new Set(['artifact', 'sensor_off', 'questionable'])

export class PatientState {
  spo2Scale: 1 | 2 = 1
  private readonly latest = new Map<News2Parameter, Input>()
  /** Fingerprint of the last emitted result, to emit only on change. */
  lastEmitted = ''
  /** The model's verdict in the last emitted result; null without one. */
  lastModel: ModelVerdict | null = null

  /** Returns true when the observation changed a parameter. */
  update(o: Pick<Observation, 'name' | 'value' | 'device_time' | 'flags'>): boolean {
    const parameter = PARAMETER_OF[o.name]
    // A text or coded state (value_text, no number) never scores.
    if (!parameter || o.value === undefined || o.flags.some((f) => UNRELIABLE.has(f))) return false
    const current = this.latest.get(parameter)
    if (current && current.time > o.device_time) return false
    const n = o.value
    const value = parameter === 'on_oxygen' ? onOxygen({ name: o.name, value: n }) : parameter === 'consciousness' ? (ACVPU[n] ?? 'U') : n
    this.latest.set(parameter, { value, time: o.device_time })
    return true
  }

  vitalSet(): VitalSet {
    const get = <T>(p: News2Parameter) => this.latest.get(p)?.value as T | undefined
    return {
      respiratory_rate: get<number>('respiratory_rate'),
      spo2: get<number>('spo2'),
      spo2_scale: this.spo2Scale,
      on_oxygen: get<boolean>('on_oxygen'),
      systolic_bp: get<number>('systolic_bp'),
      pulse: get<number>('pulse'),
      consciousness: get<VitalSet['consciousness']>('consciousness'),
      temperature: get<number>('temperature'),
    }
  }

  inputs(): TriageResult['inputs'] {
    return Object.fromEntries(NEWS2_PARAMETERS.map((p) => [p, this.latest.get(p) ?? null])) as TriageResult['inputs']
  }

  /** Time of the newest input: the moment the assessment describes. */
  time(): number {
    let t = 0
    for (const v of this.latest.values()) t = Math.max(t, v.time)
    return t
  }
}
