// The core's own alarms (a gateway silent too long) are ended only by the core, when that gateway
// is heard again: an alarm row from a gateway that claims one of their ids (to end another
// gateway's alarm, or its own without reconnecting) is kept aside as a rejected reading, same seq.
import type { IngestBatch, RejectedReading } from '@neva/contracts'
import type { CORE_REJECTIONS } from '../errors.js'
import { claimsCoreAlarm } from '../gateway-supervisor.js'

export function keepAsideCoreAlarms(batch: IngestBatch): { batch: IngestBatch; refused: number } {
  const alarms = batch.alarms ?? []
  if (!alarms.some(claimsCoreAlarm)) return { batch, refused: 0 }
  const refused: RejectedReading[] = alarms.filter(claimsCoreAlarm).map((a) => ({
    gateway_id: a.gateway_id, seq: a.seq, source: a.source, origin: `alarm of ${a.device_id}`, received_time: a.received_time,
    code: 'NEVA_CORE_ALARM_ID_RESERVED' satisfies keyof typeof CORE_REJECTIONS,
    reason: `alarm ${a.gateway_id}/${a.seq} claims ${JSON.stringify(a.alarm_id.slice(0, 128))}: ids under the core's gateway silence prefix are the core's own`,
    payload: JSON.stringify(a),
  }))
  return { batch: { ...batch, alarms: alarms.filter((a) => !claimsCoreAlarm(a)), rejected: [...batch.rejected, ...refused] }, refused: refused.length }
}
