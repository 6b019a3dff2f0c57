// The binary oximeter stream (Nonin Data Format #2, nonin-format2.ts) decoded chunk by chunk.
// A frame is taken only where its start byte, status bit 7 and checksum all hold; anything else
// is skipped one byte at a time until the next valid frame, and the skipped run is reported
// with its offset. A packet's values are used only when its 25 frames arrived in a row from
// its SYNC frame: after a lost frame, no byte is ever read as another frame's value.
// Frames carry no clock: a reading's device time is the receive time of the bytes that
// completed its packet.
import type { QualityFlag } from '@neva/contracts'
import type { Decoded } from '../decoded.js'
import { emptyDecoded, hexPreview, isProblem, makeReading, problem, type OximeterOptions } from './common.js'
import {
  NONIN_DATA_FRAME,
  NONIN_FRAME_BYTES,
  NONIN_FRAME_START,
  NONIN_FRAMES_PER_PACKET,
  NONIN_STATUS,
  NONIN_NO_HR,
  NONIN_NO_SPO2,
  noninChecksum,
  noninStatusFlags,
} from './nonin-format2.js'
import { FirmwareErrorCode } from '../errors.js'

/** A skipped run longer than this is reported and a new one starts: reports stay bounded. */
const MAX_SKIPPED_RUN = 4096
const PREVIEW_BYTES = 64

interface Packet {
  offset: number
  frames: number
  status: number
  data: Uint8Array
}

export class OximeterBinaryDecoder {
  /** Up to 4 bytes that may begin a frame, kept between chunks. */
  private carry = new Uint8Array(0)
  /** Stream offset of carry[0]. */
  private offset = 0
  private skippedStart = -1
  private skippedCount = 0
  private skippedHead: number[] = []
  private packet: Packet | null = null
  private out: Decoded
  private receivedTime = 0

  constructor(private readonly options: OximeterOptions) {
    this.out = emptyDecoded(options)
  }

  /** The packets completed by `bytes`, and problems found in them. */
  push(bytes: Uint8Array, receivedTime: number): Decoded {
    this.receivedTime = receivedTime
    const buf = this.carry.length === 0 ? bytes : concat(this.carry, bytes)
    let i = 0
    while (i + NONIN_FRAME_BYTES <= buf.length) {
      const b0 = buf[i]!, b1 = buf[i + 1]!, b2 = buf[i + 2]!, b3 = buf[i + 3]!
      if (b0 === NONIN_FRAME_START && (b1 & NONIN_STATUS.ALWAYS_SET) !== 0 && buf[i + 4] === noninChecksum(b0, b1, b2, b3)) {
        this.flushSkipped()
        this.frame(b1, b3, this.offset + i)
        i += NONIN_FRAME_BYTES
      } else {
        this.skip(b0, this.offset + i)
        i++
      }
    }
    this.carry = buf.slice(i)
    this.offset += i
    return this.take()
  }

  /** End of input (a capture file): leftover bytes and a partial packet are reported. */
  end(receivedTime: number): Decoded {
    this.receivedTime = receivedTime
    for (let i = 0; i < this.carry.length; i++) this.skip(this.carry[i]!, this.offset + i)
    this.offset += this.carry.length
    this.carry = new Uint8Array(0)
    this.flushSkipped(' at the end of the input')
    if (this.packet) this.incomplete(this.packet)
    this.packet = null
    return this.take()
  }

  /** The port closed: a partial frame or packet is dropped; offsets start again at 0. */
  reset(): void {
    this.carry = new Uint8Array(0)
    this.offset = 0
    this.skippedStart = -1
    this.skippedCount = 0
    this.skippedHead = []
    this.packet = null
    this.out = emptyDecoded(this.options)
  }

  private frame(status: number, data: number, offset: number): void {
    if (status & NONIN_STATUS.SYNC) {
      if (this.packet) this.incomplete(this.packet)
      this.packet = { offset, frames: 0, status: 0, data: new Uint8Array(NONIN_FRAMES_PER_PACKET) }
    }
    // Frames before the first SYNC (joined mid-packet) cannot be placed: skipped silently.
    const p = this.packet
    if (!p) return
    p.data[p.frames++] = data
    p.status |= status
    if (p.frames === NONIN_FRAMES_PER_PACKET) {
      this.packet = null
      this.readings(p)
    }
  }

  private readings(p: Packet): void {
    const flags = noninStatusFlags(p.status & ~NONIN_STATUS.SYNC)
    const sensorOff = flags.includes('sensor_off')
    const hr = ((p.data[NONIN_DATA_FRAME.HR_MSB]! & 0x03) << 7) | (p.data[NONIN_DATA_FRAME.HR_LSB]! & 0x7f)
    const spo2 = p.data[NONIN_DATA_FRAME.SPO2]! & 0x7f
    const payload = hexPreview(p.data, NONIN_FRAMES_PER_PACKET)
    this.reading('spo2', spo2, spo2 === NONIN_NO_SPO2 || (spo2 === 0 && sensorOff), flags, p, payload)
    this.reading('pulse_rate', hr, hr === NONIN_NO_HR || (hr === 0 && sensorOff), flags, p, payload)
  }

  private reading(name: 'spo2' | 'pulse_rate', value: number, absent: boolean, flags: QualityFlag[], p: Packet, payload: string): void {
    if (absent) return
    const what = `packet at byte ${p.offset}: ${name === 'spo2' ? 'SpO2' : 'HR'}`
    const r = makeReading(this.options, name, value, this.receivedTime, this.receivedTime, flags, { what, offset: p.offset, payload })
    if (isProblem(r)) this.out.problems.push(r)
    else this.out.observations.push(r)
  }

  private incomplete(p: Packet): void {
    this.out.problems.push(problem(FirmwareErrorCode.NEVA_OXIMETER_PACKET_INCOMPLETE, `packet at byte ${p.offset} has ${p.frames} of ${NONIN_FRAMES_PER_PACKET} frames; its values were dropped`, hexPreview(p.data.subarray(0, p.frames)), p.offset))
  }

  private skip(byte: number, offset: number): void {
    if (this.skippedCount === 0) this.skippedStart = offset
    if (this.skippedHead.length < PREVIEW_BYTES) this.skippedHead.push(byte)
    this.skippedCount++
    if (this.skippedCount >= MAX_SKIPPED_RUN) this.flushSkipped(' (run continues)')
  }

  private flushSkipped(where = ''): void {
    if (this.skippedCount === 0) return
    // A lost frame breaks the packet in progress: its later frames cannot be placed.
    let dropped = ''
    if (this.packet) {
      dropped = `; the packet at byte ${this.packet.offset} (${this.packet.frames} of ${NONIN_FRAMES_PER_PACKET} frames) was dropped`
      this.packet = null
    }
    const head = Uint8Array.from(this.skippedHead)
    const shown = this.skippedCount > head.length ? `${hexPreview(head)} … (${this.skippedCount} bytes)` : hexPreview(head)
    this.out.problems.push(problem(FirmwareErrorCode.NEVA_OXIMETER_SKIPPED_BYTES, `skipped ${this.skippedCount} bytes at byte ${this.skippedStart} that are not valid frames${where}${dropped}`, shown, this.skippedStart))
    this.skippedCount = 0
    this.skippedHead = []
  }

  private take(): Decoded {
    const out = this.out
    this.out = emptyDecoded(this.options)
    return out
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
