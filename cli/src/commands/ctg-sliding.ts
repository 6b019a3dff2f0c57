// neva ctg classify --sliding: a recording classified as the gateway does live (edge CtgStage):
// the last 60 min every minute of trace, a verdict kept when the class changes (or every 10 min),
// the alarm raised and ended; the trace fed a minute at a time as a monitor sends it.
import { CtgStage, type Outbox, type OutboxEntry } from '@neva/edge'
import type { Decoded, WfdbRecord } from '@neva/firmware-adapters'
import { ctgTraceFromRecord } from '@neva/simulators'
import type { KindDraft } from '@neva/contracts'

export interface SlidingResult {
  minutes: number
  verdicts: Array<{ minute: number; classification: string; reasons: string[] }>
  alarms: Array<{ minute: number; state: string }>
  text: string
}

export async function slidingVerdicts(record: WfdbRecord): Promise<SlidingResult> {
  const entries: OutboxEntry[] = []
  const outbox = { append: async (e: OutboxEntry[]) => { entries.push(...e); return e.map((_, i) => i + 1) } } as unknown as Outbox
  const stage = new CtgStage({ outbox })
  const trace = ctgTraceFromRecord(record)
  const hz = trace.hz
  const fhr = trace.signals.fhr ?? []
  const uc = trace.signals.uc ?? []
  const per = 60 * hz
  const t0 = Date.UTC(2000, 0, 1)
  for (let i = 0; i < fhr.length; i += per) {
    const draft = (lead: string, kind: 'fhr' | 'uc', v: ArrayLike<number>): KindDraft<'waveform'> => ({
      device_id: 'rec', patient_id: 'rec', lead, mdc_code: 0, start_time: t0 + (i * 1000) / hz, sample_rate_hz: hz, resolution_uv: 0.01,
      samples: Array.from(Array.prototype.slice.call(v, i, i + per) as number[], (x) => Math.round(x * 100)), received_time: t0, signal_kind: kind, unit: kind === 'fhr' ? 'bpm' : 'toco',
    })
    await stage.consume({ source: 'hl7v2', observations: [], problems: [], waveforms: [draft('FHR', 'fhr', fhr), ...(uc.length ? [draft('UC', 'uc', uc)] : [])] } as Decoded)
  }
  const minute = (t: number) => Math.round((t - t0) / 60_000)
  const verdicts = entries.filter((e) => e.kind === 'ctg_verdict').map((e) => e.body as KindDraft<'ctg_verdict'>).map((v) => ({ minute: minute(v.time), classification: v.classification, reasons: v.reasons }))
  const alarms = entries.filter((e) => e.kind === 'alarm').map((e) => e.body as KindDraft<'alarm'>).map((a) => ({ minute: minute(a.device_time!), state: a.state }))
  const minutes = Math.round(fhr.length / hz / 60)
  const changes = verdicts.filter((v, k) => k === 0 || v.classification !== verdicts[k - 1]!.classification)
  const text = `${record.header.record}: ${minutes} min, ${stage.counts.classified} classifications; ${changes.map((v) => `${v.minute} min ${v.classification}`).join(' → ')}; alarm ${alarms.map((a) => `${a.state} at ${a.minute} min`).join(', ') || 'never'}\n` +
    (verdicts.at(-1) ? `  last: ${verdicts.at(-1)!.reasons.join('; ')}\n` : '')
  return { minutes, verdicts, alarms, text }
}
