// An observation carries a number or words, exactly one: a named vital a number (NEWS2 reads it),
// a text state (value_text) only under 'other'. A batch row that breaks this (a gateway's bug:
// its decoders never make one) is kept aside as a rejected reading with the same seq, not stored
// as a row with no value (NaN in ClickHouse) or as a vital that cannot be scored. Nor may a gateway
// claim a reading was entered by the patient: only the core's home route flags patient_reported.
import { OTHER_METRIC, type IngestBatch, type Observation, type RejectedReading } from '@neva/contracts'
import type { CORE_REJECTIONS } from '../errors.js'

/** What is wrong with an observation's value, or undefined. */
export function observationValueProblem(o: Observation): string | undefined {
  const number = o.value !== undefined
  const words = o.value_text !== undefined
  if (number === words) return number ? 'has both a number (value) and words (value_text)' : 'has neither a number (value) nor words (value_text)'
  if (words && o.name !== OTHER_METRIC) return `${o.name} is a named vital: it needs a number, not words`
  if (!words && (o.value_code !== undefined || o.value_system !== undefined)) return 'has a coded value (value_code/value_system) without its words (value_text)'
  return undefined
}

/** Why a gateway's observation is kept aside (its code and the reason), or undefined. */
function refusal(o: Observation): { code: keyof typeof CORE_REJECTIONS; problem: string } | undefined {
  const problem = observationValueProblem(o)
  if (problem !== undefined) return { code: 'NEVA_CORE_OBSERVATION_VALUE', problem }
  if (o.flags.includes('patient_reported')) return { code: 'NEVA_CORE_OBSERVATION_PATIENT_REPORTED', problem: 'is flagged patient_reported, which only readings the patient sends to the core are' }
  return undefined
}

/** The batch with every observation whose value is malformed moved to its rejected readings. */
export function keepAsideValueless(batch: IngestBatch): { batch: IngestBatch; refused: number } {
  const refused: RejectedReading[] = []
  const kept = batch.observations.filter((o) => {
    const why = refusal(o)
    if (why === undefined) return true
    const { code, problem } = why
    refused.push({
      gateway_id: o.gateway_id, seq: o.seq, source: o.source, origin: `observation of ${o.device_id}`, received_time: o.received_time,
      code,
      reason: `observation ${o.gateway_id}/${o.seq} (${o.name}${o.mdc_code ? ` MDC ${o.mdc_code}` : ''}) ${problem}`,
      payload: JSON.stringify(o),
    })
    return false
  })
  if (refused.length === 0) return { batch, refused: 0 }
  return { batch: { ...batch, observations: kept, rejected: [...batch.rejected, ...refused] }, refused: refused.length }
}
