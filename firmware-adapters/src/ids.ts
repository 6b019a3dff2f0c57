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

/** The rules as lists, made once: screening runs on every message. */
const RULE_LISTS = Object.fromEntries(Object.entries(RULES).map(([kind, rules]) => [kind, Object.entries(rules)])) as Record<keyof typeof RULES, Array<[string, Rule]>>
const KINDS = Object.keys(RULES) as Array<keyof typeof RULES>

/** The field of `draft` that breaks its rule, or undefined. */
export function badIdField(kind: keyof typeof RULES, draft: object): string | undefined {
  for (const [field, ok] of RULE_LISTS[kind]) if (!ok((draft as Record<string, unknown>)[field])) return field
  return undefined
}

/**
 * `decoded` without the drafts whose ids break the rules, each one kept aside as a problem;
 * `decoded` itself when every id is good.
 */
export function screenIds<T extends Decoded>(decoded: T): T {
  let problems: DecodeProblem[] | undefined
  let out: T | undefined
  for (const kind of KINDS) {
    const list = decoded[kind] as object[] | undefined
    if (!list || list.length === 0) continue
    // Made only once a draft is refused: the good drafts before it, then the good ones after.
    let kept: object[] | undefined
    for (let i = 0; i < list.length; i++) {
      const draft = list[i]!
      const field = badIdField(kind, draft)
      if (field === undefined) { kept?.push(draft); continue }
      kept ??= list.slice(0, i)
      const value = (draft as Record<string, unknown>)[field]
      ;(problems ??= [...decoded.problems]).push({
        code: FirmwareErrorCode.NEVA_DECODE_BAD_ID,
        reason: `${kind} ${field} ${JSON.stringify(clip(String(value), 64))} is not an id Neva accepts (contracts/src/ids.ts)`,
        payload: clip(JSON.stringify(draft), 4096),
      })
    }
    if (kept) ((out ??= { ...decoded }) as Record<string, unknown>)[kind] = kept
  }
  if (!problems) return out ?? decoded
  out ??= { ...decoded }
  out.problems = problems
  return out
}
