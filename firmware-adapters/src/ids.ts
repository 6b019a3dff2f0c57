// The id rule at the decoders' exit: every draft whose ids break the character rules of
// contracts/src/ids.ts is taken out and kept aside as a problem (NEVA_DECODE_BAD_ID, naming the
// field); the rest of the message is kept. One bad id never sends the core a batch it would refuse
// whole, and never reaches a board, a setting or a log as it was sent.
import { isAlarmId, isDeviceText, isIdentifier, MAX_ID, type DecodedKindName, type KindCamelField } from '@neva/contracts'
import type { Decoded } from './decoded.js'
import { FirmwareErrorCode, type DecodeProblem } from './errors.js'

type Rule = (v: unknown) => boolean
const id: Rule = (v) => typeof v === 'string' && isIdentifier(v)
const nullableText = (max: number): Rule => (v) => v === null || (typeof v === 'string' && isDeviceText(v, max))
const text = (max: number): Rule => (v) => typeof v === 'string' && isDeviceText(v, max)

/** The id fields of every kind a decoder produces (by its Decoded field), in registry order. */
const RULES = {
  observations: { device_id: id, patient_id: id },
  labResults: { device_id: id, order_id: nullableText(MAX_ID), patient_id: nullableText(MAX_ID), test_code: text(64) },
  waveforms: { device_id: id, patient_id: id },
  alarms: { alarm_id: (v: unknown) => typeof v === 'string' && isAlarmId(v), device_id: id, patient_id: (v: unknown) => v === null || id(v) },
  transports: { unit: id, patient_id: id },
  infusionEvents: { event_id: (v: unknown) => typeof v === 'string' && isAlarmId(v), device_id: id, patient_id: (v: unknown) => v === null || id(v) },
} as const satisfies { [K in DecodedKindName as KindCamelField<K>]: Record<string, Rule> }

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s)

/** The field of `draft` that breaks its rule, or undefined. */
export function badIdField(kind: keyof typeof RULES, draft: object): string | undefined {
  const rules = RULES[kind] as Record<string, Rule>
  for (const [field, ok] of Object.entries(rules)) if (!ok((draft as Record<string, unknown>)[field])) return field
  return undefined
}

/** `decoded` without the drafts whose ids break the rules, each one kept aside as a problem. */
export function screenIds<T extends Decoded>(decoded: T): T {
  let problems: DecodeProblem[] | undefined
  const out = { ...decoded }
  for (const kind of Object.keys(RULES) as Array<keyof typeof RULES>) {
    const list = decoded[kind] as object[] | undefined
    if (!list || list.length === 0) continue
    const kept: object[] = []
    for (const draft of list) {
      const field = badIdField(kind, draft)
      if (field === undefined) { kept.push(draft); continue }
      const value = (draft as Record<string, unknown>)[field]
      ;(problems ??= [...decoded.problems]).push({
        code: FirmwareErrorCode.NEVA_DECODE_BAD_ID,
        reason: `${kind} ${field} ${JSON.stringify(clip(String(value), 64))} is not an id Neva accepts (contracts/src/ids.ts)`,
        payload: clip(JSON.stringify(draft), 4096),
      })
    }
    if (kept.length !== list.length) (out as Record<string, unknown>)[kind] = kept
  }
  if (problems) out.problems = problems
  return out
}
