// One IHE PCD-10 infusion event (an OBR group of an ORU^R42, IHE PCD TF-2 §3.10) → an infusion
// event draft. The OBR is the event (OBR-2 the order it carries out); its OBX are the pump's
// containment tree (MDS 1.0.0.0, VMD 1.1.0.0, delivery info 1.1.1.x, the infusate source channel
// 1.1.2.x), each metric told by its MDC code or reference id. The channel's own metrics win over
// the same metric elsewhere (the delivery info's current rate).
import { createHash } from 'node:crypto'
import { isAlarmId, MAX_ALARM_ID, type KindDraft } from '@neva/contracts'
import { FirmwareErrorCode, type DecodeProblem } from '../errors.js'
import { hl7Unescape } from './escape.js'
import type { Hl7Segment } from './message.js'
import { parseNm } from './obx.js'
import { clip } from './parse.js'
import { deviceTime } from './time.js'

export type InfusionEventDraft = KindDraft<'infusion_event'>

/** MDC terms of IEEE 11073-10101 the event carries, by field: [reference id, code]. */
const METRICS = {
  event: ['MDC_ATTR_EVT_COND', 68487],
  eventSource: ['MDC_ATTR_EVT_SOURCE', 68488],
  drug: ['MDC_DRUG_NAME_LABEL', 184514],
  concentration: ['MDC_CONC_DRUG', 157760],
  rate: ['MDC_FLOW_FLUID_PUMP', 157784],
  currentRate: ['MDC_FLOW_FLUID_PUMP_CURRENT', 158014],
  doseRate: ['MDC_RATE_DOSE', 157924],
  volumeInfused: ['MDC_VOL_FLUID_DELIV_TOTAL', 157993],
  volumeToBeInfused: ['MDC_VOL_FLUID_TBI', 157884],
  volumeRemaining: ['MDC_VOL_FLUID_TBI_REMAIN', 157872],
  programState: ['MDC_DEV_PUMP_CURRENT_DELIVERY_STATUS', 158005],
  pumpState: ['MDC_PUMP_INFUSING_STATUS', 184519],
  deliveryMode: ['MDC_DEV_PUMP_PROGRAM_DELIVERY_MODE', 158008],
  channelLabel: ['MDC_DEV_PUMP_SOURCE_CHANNEL_LABEL', 158012],
} as const
type Metric = keyof typeof METRICS
/** The event's text fields: their OBX are carried by the event itself. */
const CARRIED_TEXT: Metric[] = ['event', 'eventSource', 'drug', 'channelLabel', 'programState', 'pumpState', 'deliveryMode']
/** OBX-2 types of what the event does not carry that go on as readings: numbers, text and coded states. */
const KEPT_TYPES = new Set(['NM', 'SN', 'ST', 'TX', 'FT', 'CWE', 'CE', 'CNE'])

export interface InfusionContext {
  where: string
  deviceId: string
  patientId: string | null
  ward: string | null
  room: string | null
  bed: string | null
  facility: string | null
  /** MSH-10, for the event's identity. */
  controlId: string
  /** OBR-7, else MSH-7. */
  time: string
  receivedTime: number
  defaultUtcOffsetMinutes: number
}

/** `others`: the numbers and states of the group the event does not carry (kept as coded readings by the caller). */
export type InfusionOutcome = { ok: InfusionEventDraft; sentTime: number | null; others: Hl7Segment[] } | { problem: DecodeProblem }

const code = (obx: Hl7Segment) => obx.value(3, 1).trim()
const refId = (obx: Hl7Segment) => obx.value(3, 2).trim()
const subId = (obx: Hl7Segment) => obx.value(4).trim()
const unesc = (obx: Hl7Segment, s: string) => hl7Unescape(s, obx.encoding).trim()
const orNull = (s: string, max: number) => (s === '' ? null : clip(s, max))

function metricOf(obx: Hl7Segment): Metric | undefined {
  const c = code(obx)
  const r = refId(obx)
  for (const [m, [name, num]] of Object.entries(METRICS)) if (r === name || (r === '' && c === String(num))) return m as Metric
  return undefined
}

/** A CWE value as words: the text (component 2; 9 the original text), else the code. */
function cweText(obx: Hl7Segment): string {
  return unesc(obx, obx.value(5, 2)) || unesc(obx, obx.value(5, 9)) || unesc(obx, obx.value(5, 1))
}

/** OBX-6 as a unit: UCUM (alternate, components 4–6) when given, else the identifier or the code. */
function unitOf(obx: Hl7Segment): string | null {
  const ucum = obx.value(6, 6).trim().toUpperCase() === 'UCUM' ? obx.value(6, 4).trim() : ''
  return orNull(unesc(obx, ucum || obx.value(6, 2) || obx.value(6, 1)), 32)
}

/** One infusion event from its OBR and OBX. */
export function infusionFromGroup(obr: Hl7Segment | undefined, obxs: readonly Hl7Segment[], ctx: InfusionContext): InfusionOutcome {
  const byMetric = new Map<Metric, Hl7Segment[]>()
  const alerts: string[] = []
  for (const obx of obxs) {
    const m = metricOf(obx)
    if (m) byMetric.set(m, [...(byMetric.get(m) ?? []), obx])
    else if (refId(obx).startsWith('MDC_EVT_') && alerts.length < 16) alerts.push(clip(refId(obx), 64))
  }
  // The channel the event is about: MDC_ATTR_EVT_SOURCE names its path ("1.1.2.0"), else the
  // channel of the first drug or rate reported.
  const evtSource = byMetric.get('eventSource')?.[0]
  const sourcePath = evtSource ? unesc(evtSource, evtSource.value(5)) : ''
  const firstOwn = (byMetric.get('drug') ?? byMetric.get('rate') ?? byMetric.get('channelLabel'))?.[0]
  const channelPath = (sourcePath || (firstOwn ? subId(firstOwn) : '')).split('.').slice(0, 3).join('.')
  const pick = (m: Metric) => {
    const list = byMetric.get(m) ?? []
    return list.find((o) => channelPath !== '' && subId(o).startsWith(`${channelPath}.`)) ?? list[0]
  }
  const num = (m: Metric) => {
    const obx = pick(m)
    const v = obx ? parseNm(obx.value(5)) : undefined
    return { value: v === undefined || !Number.isFinite(v) ? null : v, unit: obx && v !== undefined ? unitOf(obx) : null }
  }
  const text = (m: Metric, max: number) => {
    const obx = pick(m)
    if (!obx) return null
    const type = obx.value(2).trim().toUpperCase()
    return orNull(type === 'CWE' || type === 'CE' || type === 'CNE' ? cweText(obx) : unesc(obx, obx.repetitions(5)[0] ?? ''), max)
  }
  const event = byMetric.get('event')?.[0]
  const eventCode = event && /^\d{1,10}$/.test(event.value(5, 1).trim()) && Number(event.value(5, 1).trim()) <= 0xffffffff ? Number(event.value(5, 1).trim()) : null
  const rateMetric: Metric = num('rate').value !== null ? 'rate' : 'currentRate'
  const rate = num(rateMetric)
  const concentration = num('concentration')
  const doseRate = num('doseRate')
  const infused = num('volumeInfused')
  const tbi = num('volumeToBeInfused')
  const remaining = num('volumeRemaining')
  const draft: Omit<InfusionEventDraft, 'event_id'> = {
    device_id: ctx.deviceId, source: 'hl7v2', patient_id: ctx.patientId,
    ward: ctx.ward, room: ctx.room, bed: ctx.bed, facility: ctx.facility,
    order_id: obr ? orNull(unesc(obr, obr.value(2, 1)), 128) : null,
    event_code: eventCode, event_name: event ? orNull(unesc(event, event.value(5, 2)), 64) : null,
    channel: orNull(channelPath, 32), channel_label: text('channelLabel', 64),
    drug: text('drug', 128),
    concentration: concentration.value, concentration_unit: concentration.unit,
    rate: rate.value, rate_unit: rate.unit,
    dose_rate: doseRate.value, dose_rate_unit: doseRate.unit,
    volume_infused: infused.value, volume_to_be_infused: tbi.value, volume_remaining: remaining.value,
    volume_unit: infused.unit ?? tbi.unit ?? remaining.unit,
    program_state: text('programState', 64), pump_state: text('pumpState', 64), delivery_mode: text('deliveryMode', 64),
    alerts,
    device_time: null, received_time: ctx.receivedTime,
  }
  const payload = () => clip([obr, ...obxs].filter((s) => s !== undefined).map((s) => s.toString()).join('\r'), 4096)
  if (draft.drug === null && draft.rate === null && draft.volume_infused === null && draft.program_state === null && draft.pump_state === null) {
    return { problem: { code: FirmwareErrorCode.NEVA_HL7V2_NO_INFUSION_DATA, reason: `${ctx.where}: the infusion event has no drug, rate, volume or pump state among ${obxs.length} OBX`, payload: payload(), offset: (obr ?? obxs[0])?.offset ?? 0 } }
  }
  const t = deviceTime(ctx.time, ctx.receivedTime, ctx.defaultUtcOffsetMinutes)
  draft.device_time = typeof t === 'number' ? t : null
  // One event per message and OBR: the message id and the OBR's set id.
  let id = `${ctx.deviceId}/${ctx.controlId}:${obr?.value(1).trim() || '1'}`
  if (!isAlarmId(id)) id = `${ctx.deviceId}/sha256:${createHash('sha256').update(id).digest('hex')}`.slice(0, MAX_ALARM_ID)
  // Every number the pump sent is kept: what the event does not carry (a second rate, the time
  // remaining, the patient's weight…) goes on as a coded reading.
  // So is every text or coded state it does not carry (the drug library's version, its care area).
  const carried = new Set<Hl7Segment | undefined>((([rateMetric, 'concentration', 'doseRate', 'volumeInfused', 'volumeToBeInfused', 'volumeRemaining', ...CARRIED_TEXT] as Metric[]).map(pick)))
  const others = obxs.filter((o) => !carried.has(o) && !refId(o).startsWith('MDC_EVT_') && KEPT_TYPES.has(o.value(2).trim().toUpperCase()))
  return { ok: { event_id: id, ...draft }, sentTime: draft.device_time, others }
}
