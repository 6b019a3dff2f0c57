// CTG at the edge: a fetal monitor's trace (here from a WFDB recording, as CTU-UHB keeps them) is
// classified by FIGO 2015 (@neva/triage), and a pathological trace raises an alarm through the
// ordinary alarm kind, so it reaches the boards like a monitor's own alarm.
import type { Alarm } from '@neva/contracts'
import { physical, type WfdbRecord } from '@neva/firmware-adapters'
import { classifyCtg, fhrFromBpm, type CtgClassification, type CtgTrace } from '@neva/triage'

/** FHR and UC of a record (signals described "FHR" and "UC"); null when it has no FHR. */
export function ctgTraceFromWfdb(record: WfdbRecord): CtgTrace | null {
  const find = (name: string) => record.signals.find((s) => s.spec.description.toUpperCase() === name && s.samples)
  const fhr = find('FHR')
  if (!fhr) return null
  const uc = find('UC')
  const n = record.samplesPerSignal
  return {
    hz: record.header.samplingHz,
    // 0 (and any value outside 50–210 bpm) is signal loss, kept missing.
    fhr: fhrFromBpm(Array.from(fhr.samples!, (v) => physical(fhr.spec, v))),
    uc: uc ? Float64Array.from(uc.samples!, (v) => physical(uc.spec, v)) : new Float64Array(n).fill(NaN),
  }
}

export interface CtgOutcome {
  ph: number | null
  apgar1: number | null
  apgar5: number | null
}

/** The outcome a CTU-UHB header carries in its comments ("pH 7.14", "Apgar1 6"). */
export function ctgOutcome(comments: string[]): CtgOutcome {
  const get = (key: string) => {
    const line = comments.find((c) => c.split(/\s+/)[0] === key)
    const v = line === undefined ? NaN : Number(line.split(/\s+/)[1])
    return Number.isFinite(v) ? v : null
  }
  return { ph: get('pH'), apgar1: get('Apgar1'), apgar5: get('Apgar5') }
}

export interface CtgAlarmContext {
  gatewayId: string
  seq: number
  deviceId: string
  patientId: string | null
  receivedTime: number
}

/** The alarm a pathological classification raises (and `inactive` when it is no longer pathological). */
export function ctgAlarm(c: CtgClassification, ctx: CtgAlarmContext, state: 'active' | 'inactive' = 'active'): Alarm {
  return {
    gateway_id: ctx.gatewayId,
    seq: ctx.seq,
    alarm_id: `${ctx.deviceId}/ctg-figo`,
    device_id: ctx.deviceId,
    source: 'serial',
    patient_id: ctx.patientId,
    ward: null, room: null, bed: null, facility: null,
    event_code: null,
    event_name: 'CTG_PATHOLOGICAL',
    event_text: `CTG pathological (FIGO 2015): ${c.reasons.join('; ')}`.slice(0, 256),
    source_code: null,
    source_name: 'FHR',
    alert_type: 'physiological',
    priority: 'high',
    state,
    phase: state === 'active' ? 'start' : 'end',
    alarm_state: null, inactivation_state: null,
    value: c.baseline_bpm, unit: 'bpm', limit_low: null, limit_high: null,
    device_time: null,
    received_time: ctx.receivedTime,
  }
}

/** Classification of a trace and, when pathological, its alarm. */
export function classifyCtgAtEdge(trace: CtgTrace, ctx: CtgAlarmContext): { classification: CtgClassification; alarm: Alarm | null } {
  const classification = classifyCtg(trace)
  return { classification, alarm: classification.classification === 'pathological' ? ctgAlarm(classification, ctx) : null }
}
