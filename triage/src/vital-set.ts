// Parses a vital-sign set from untrusted JSON (the `neva triage` input format), naming the
// first problem. Plausibility limits come from the code table.
import { ACVPU, VITALS, type VitalName } from '@neva/contracts'
import type { VitalSet } from './news2.js'

const NUMERIC: Record<string, VitalName> = {
  respiratory_rate: 'respiratory_rate',
  spo2: 'spo2',
  systolic_bp: 'nibp_systolic',
  pulse: 'pulse_rate',
  temperature: 'temperature',
}
const KEYS = new Set([...Object.keys(NUMERIC), 'spo2_scale', 'on_oxygen', 'consciousness'])

export type ParsedVitalSet = { ok: true; value: VitalSet } | { ok: false; error: string }

export function parseVitalSet(input: unknown): ParsedVitalSet {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'expected a JSON object' }
  const out: VitalSet = {}
  for (const [key, value] of Object.entries(input)) {
    if (!KEYS.has(key)) return { ok: false, error: `unknown key ${JSON.stringify(key)} (expected ${[...KEYS].join(', ')})` }
    if (value === null) continue
    const vital = NUMERIC[key]
    if (vital) {
      const def = VITALS[vital]
      if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, error: `${key}: expected a number, got ${JSON.stringify(value)}` }
      if (value < def.min || value > def.max) return { ok: false, error: `${key}: ${value} is physiologically impossible (outside ${def.min}–${def.max} ${def.unit})` }
      out[key as 'pulse'] = value
    } else if (key === 'spo2_scale') {
      if (value !== 1 && value !== 2) return { ok: false, error: `spo2_scale: expected 1 or 2, got ${JSON.stringify(value)}` }
      out.spo2_scale = value
    } else if (key === 'on_oxygen') {
      if (typeof value !== 'boolean') return { ok: false, error: `on_oxygen: expected true or false, got ${JSON.stringify(value)}` }
      out.on_oxygen = value
    } else {
      if (typeof value !== 'string' || !(ACVPU as readonly string[]).includes(value)) {
        return { ok: false, error: `consciousness: expected one of ${ACVPU.join(', ')}, got ${JSON.stringify(value)}` }
      }
      out.consciousness = value as VitalSet['consciousness']
    }
  }
  return { ok: true, value: out }
}
