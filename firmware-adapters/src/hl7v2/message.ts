// A parsed HL7 v2 message: segments whose fields are kept as sent and split into repetitions,
// components and subcomponents only when read, then unescaped.
import type { Hl7Encoding } from './encoding.js'
import { hl7Unescape } from './escape.js'

const split = (s: string, sep: string): string[] => (sep === '' ? [s] : s.split(sep))

export class Hl7Segment {
  constructor(
    readonly name: string,
    /** fields[n] is field n as sent (escaped). For MSH, fields[1] is MSH-1 and fields[2] MSH-2. */
    readonly fields: readonly string[],
    readonly encoding: Hl7Encoding,
    /** Byte offset of the segment in the message. */
    readonly offset: number,
  ) {}

  /** Field n as sent, '' when absent. */
  field(n: number): string {
    return this.fields[n] ?? ''
  }

  /** The repetitions of field n, as sent. */
  repetitions(n: number): string[] {
    const f = this.fields[n]
    if (f === undefined || f === '') return []
    return this.isEncodingField(n) ? [f] : split(f, this.encoding.repetition)
  }

  /**
   * Component c of repetition r of field n (subcomponent s when given), unescaped; 1-based like
   * HL7's own names (MSH-9.2 is value(9, 2)). '' when absent; the HL7 null `""` reads as ''.
   */
  value(n: number, c = 1, r = 1, s?: number): string {
    const f = this.fields[n]
    if (f === undefined || f === '') return ''
    if (this.isEncodingField(n)) return c === 1 && r === 1 && (s ?? 1) === 1 ? f : ''
    const enc = this.encoding
    const rep = r === 1 && (enc.repetition === '' || !f.includes(enc.repetition)) ? f : split(f, enc.repetition)[r - 1]
    if (rep === undefined) return ''
    const comp = split(rep, enc.component)[c - 1]
    if (comp === undefined) return ''
    const sub = s === undefined ? comp : split(comp, enc.subcomponent)[s - 1]
    if (sub === undefined || sub === '""') return ''
    return hl7Unescape(sub, enc)
  }

  /** The segment as sent, for problems: what a person reads to see what was wrong. */
  toString(): string {
    if (this.name !== 'MSH') return this.fields.join(this.encoding.field)
    return ['MSH', ...this.fields.slice(2)].join(this.encoding.field)
  }

  private isEncodingField(n: number): boolean {
    return this.name === 'MSH' && (n === 1 || n === 2)
  }
}

export class Hl7Message {
  constructor(
    readonly encoding: Hl7Encoding,
    /** segments[0] is the MSH. */
    readonly segments: readonly Hl7Segment[],
    /** The message text (decoded from its character set). */
    readonly text: string,
  ) {}

  get header(): Hl7Segment {
    return this.segments[0]!
  }

  segment(name: string): Hl7Segment | undefined {
    return this.segments.find((s) => s.name === name)
  }

  all(name: string): Hl7Segment[] {
    return this.segments.filter((s) => s.name === name)
  }
}
