// The CTG line protocol: a fetal monitor's serial output as text lines, one per second (a
// documented generic form, not a vendor's; docs/ctg.md):
//
//   PID mother-17
//   CTG 2026-12-03T10:15:00Z FHR1=140,140.5,141,- UA=12,12,13,13 MHR=88,88,88,88
//
// PID names the mother (else the port's configured patient). CTG gives one second: its time (ISO
// 8601 with Z or an offset, or "-" for "now, or right after the last line") and, per signal
// (FHR/FHR1, FHR2, UA/UC/TOCO, MHR), that second's samples — as many as the rate in Hz; "-" is a
// gap. Seconds that follow one another are gathered into one waveform chunk per signal
// (`secondsPerChunk`), so the outbox gets a row per signal every 15 s, not 4 a second. A line
// that is not the protocol is refused by name and kept aside; the good lines around it are not lost.
import { MAX_WAVEFORM_SAMPLES, WAVEFORM_MISSING, Identifier, type CtgSignal } from '@neva/contracts'
import type { Decoded, WaveformDraft } from '../decoded.js'
import { FirmwareErrorCode, type DecodeProblem } from '../errors.js'
import { CTG_RESOLUTION, CTG_SPECS, ctgCount, ctgSignalByName } from './signals.js'

export interface CtgLineOptions {
  deviceId: string
  /** The bed's patient when the monitor sends no PID line. */
  patientId?: string
  secondsPerChunk?: number
  maxLineBytes?: number
}

interface Pending {
  patientId: string
  start: number
  hz: number
  seconds: number
  signals: Map<CtgSignal, number[]>
}

const ID = new RegExp(Identifier.pattern!)
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/
const clip = (s: string, n = 256) => (s.length > n ? `${s.slice(0, n)}…` : s)

export class CtgLineDecoder {
  private text = ''
  private patientId: string | undefined
  private pending: Pending | undefined
  private readonly perChunk: number
  private readonly maxLine: number
  /** The receive time of the bytes being decoded: a chunk's received_time. */
  private now = 0
  /** The second after the last CTG line: what "-" means. */
  private next: number | undefined

  constructor(private readonly options: CtgLineOptions) {
    this.patientId = options.patientId
    this.perChunk = Math.max(1, Math.min(options.secondsPerChunk ?? 15, 600))
    this.maxLine = options.maxLineBytes ?? 1024
  }

  /** Bytes as the port gave them; the chunks completed by them, and the lines refused. */
  push(bytes: Uint8Array, now: number): Decoded {
    const out = this.empty()
    this.now = now
    this.text += Buffer.from(bytes).toString('latin1')
    let nl: number
    while ((nl = this.text.search(/[\r\n]/)) >= 0) {
      const line = this.text.slice(0, nl)
      this.text = this.text.slice(nl + 1)
      this.line(line, now, out)
    }
    if (this.text.length > this.maxLine) {
      out.problems.push(this.problem(FirmwareErrorCode.NEVA_CTG_BAD_LINE, `a line longer than ${this.maxLine} bytes`, this.text))
      this.text = ''
    }
    return out
  }

  /** Whatever is gathered, as chunks now (the port went quiet or closed). */
  flush(now: number): Decoded {
    const out = this.empty()
    this.now = now
    this.emit(out)
    return out
  }

  private empty(): Decoded {
    return { source: 'serial', deviceId: this.options.deviceId, observations: [], waveforms: [], problems: [], ...(this.patientId ? { patientId: this.patientId } : {}) }
  }

  private problem(code: string, reason: string, line: string): DecodeProblem {
    return { code, reason: `CTG line: ${reason}`, payload: clip(line, 1024) }
  }

  private line(raw: string, now: number, out: Decoded): void {
    const line = raw.trim()
    if (line === '') return
    const bad = (reason: string) => { out.problems.push(this.problem(FirmwareErrorCode.NEVA_CTG_BAD_LINE, reason, line)) }
    const words = line.split(/\s+/)
    if (words[0] === 'PID') {
      const id = words[1] ?? ''
      if (words.length !== 2 || !ID.test(id) || id.length > 128) return bad('PID needs one patient id (letters, digits and . _ : / - only)')
      if (id !== this.patientId) this.emit(out)
      this.patientId = id
      out.patientId = id
      return
    }
    if (words[0] !== 'CTG' || words.length < 3) return bad('not "PID <id>" nor "CTG <time|-> SIGNAL=v,v,…"')
    if (!this.patientId) { out.problems.push(this.problem(FirmwareErrorCode.NEVA_CTG_NO_PATIENT, 'no PID line yet and no patient configured for the port', line)); return }
    let time: number
    if (words[1] === '-') time = this.next ?? now
    else {
      const t = TIME.test(words[1]!) ? Date.parse(words[1]!) : NaN
      if (!Number.isFinite(t)) return bad(`time "${clip(words[1]!, 40)}" is not ISO 8601 with Z or an offset, nor "-"`)
      time = t
    }
    const second = new Map<CtgSignal, number[]>()
    let hz = 0
    let badSamples = 0
    for (const w of words.slice(2)) {
      const eq = w.indexOf('=')
      const signal = eq > 0 ? ctgSignalByName(w.slice(0, eq)) : undefined
      if (!signal) return bad(`"${clip(w, 40)}" is not SIGNAL=v,v,… with a signal FHR, FHR1, FHR2, UA, UC, TOCO or MHR`)
      if (second.has(signal)) return bad(`${w.slice(0, eq)} given twice`)
      const parts = w.slice(eq + 1).split(',')
      if (parts.length < 1 || parts.length > 8) return bad(`${w.slice(0, eq)}: ${parts.length} samples in a second, 1–8 expected`)
      if (hz !== 0 && parts.length !== hz) return bad(`signals with different sample counts in one second (${hz} and ${parts.length})`)
      hz = parts.length
      second.set(signal, parts.map((p) => {
        if (p === '-' || p === '') return WAVEFORM_MISSING
        const v = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(p) ? Number(p) : NaN
        const c = ctgCount(CTG_SPECS[signal], v)
        if (c === undefined) { badSamples++; return WAVEFORM_MISSING }
        return c
      }))
    }
    if (badSamples > 0) out.problems.push(this.problem(FirmwareErrorCode.NEVA_CTG_BAD_SAMPLES, `${badSamples} samples not a number in their signal's range; stored as gaps`, line))
    const p = this.pending
    // A new chunk when the time does not follow on, the rate or the patient changed.
    if (p && (p.hz !== hz || p.patientId !== this.patientId || Math.abs(time - (p.start + p.seconds * 1000)) > 500)) this.emit(out)
    const q = (this.pending ??= { patientId: this.patientId, start: time, hz, seconds: 0, signals: new Map() })
    for (const s of new Set([...q.signals.keys(), ...second.keys()])) {
      let arr = q.signals.get(s)
      if (!arr) q.signals.set(s, (arr = new Array<number>(q.seconds * hz).fill(WAVEFORM_MISSING)))
      arr.push(...(second.get(s) ?? new Array<number>(hz).fill(WAVEFORM_MISSING)))
    }
    q.seconds++
    this.next = time + 1000
    if (q.seconds >= this.perChunk || (q.seconds + 1) * hz > MAX_WAVEFORM_SAMPLES) this.emit(out)
  }

  private emit(out: Decoded): void {
    const p = this.pending
    this.pending = undefined
    if (!p || p.seconds === 0) return
    for (const [signal, samples] of p.signals) {
      const spec = CTG_SPECS[signal]
      const draft: WaveformDraft = {
        device_id: this.options.deviceId, patient_id: p.patientId, lead: spec.lead, mdc_code: 0, start_time: p.start, sample_rate_hz: p.hz,
        resolution_uv: CTG_RESOLUTION, samples, received_time: this.now, signal_kind: signal, unit: spec.units[0]!,
      }
      out.waveforms!.push(draft)
    }
    out.patientId = p.patientId
  }
}
