// The same field values read by this parser and by Medplum's (`Hl7Message.parse` of @medplum/core),
// to check one against the other on real messages and to benchmark them (`neva bench decode`).
// Medplum does not decode escape sequences: on text containing them the two differ by design.
import { createRequire } from 'node:module'
import { parseHl7 } from './parse.js'
import type { Hl7Segment } from './message.js'

export interface Hl7ObxFields {
  setId: string
  valueType: string
  code: string
  codeText: string
  codingSystem: string
  subId: string
  value: string
  unit: string
  referenceRange: string
  abnormalFlags: string
  status: string
  time: string
  equipment: string
}

export interface Hl7Fields {
  /** MSH-9 as sent ("ORU^R01^ORU_R01"). */
  messageType: string
  controlId: string
  sendingApplication: string
  sendingFacility: string
  messageTime: string
  patientId: string
  location: string
  observationTime: string
  observations: Hl7ObxFields[]
}

/** The fields, read with this package's parser. Undefined when the text is not an HL7 message. */
export function extractHl7Fields(text: string): Hl7Fields | undefined {
  const msg = parseHl7(text).message
  if (!msg) return undefined
  // Whole fields as sent, components unescaped (as Medplum's getField().toString() / getComponent()).
  const get = (s: Hl7Segment | undefined) => (n: number, c?: number) => (s === undefined ? '' : c === undefined ? s.field(n) : s.value(n, c))
  return fields({ msh: get(msg.header), pid: get(msg.segment('PID')), pv1: get(msg.segment('PV1')), obr: get(msg.segment('OBR')), obx: msg.all('OBX').map(get) })
}

type Medplum = typeof import('@medplum/core')
let medplum: Medplum | undefined

/**
 * The fields, read with Medplum's parser. @medplum/core is loaded on first use: the gateway never
 * needs it, and it takes about 120 ms to load.
 */
export function decodeHl7WithMedplum(text: string): Hl7Fields | undefined {
  medplum ??= createRequire(import.meta.url)('@medplum/core') as Medplum
  let msg: InstanceType<Medplum['Hl7Message']>
  try {
    msg = medplum.Hl7Message.parse(text)
  } catch {
    return undefined
  }
  // Medplum's getComponent takes 1-based components and 0-based repetitions.
  const get = (s: { getField(n: number): { getComponent(c: number): string; toString(): string } | undefined } | undefined) =>
    (n: number, c?: number) => {
      const f = s?.getField(n)
      if (!f) return ''
      return c === undefined ? f.toString() : f.getComponent(c)
    }
  return fields({
    msh: get(msg.getSegment('MSH')),
    pid: get(msg.getSegment('PID')),
    pv1: get(msg.getSegment('PV1')),
    obr: get(msg.getSegment('OBR')),
    obx: msg.getAllSegments('OBX').map((s) => get(s)),
  })
}

type Get = (n: number, c?: number) => string

function fields(s: { msh: Get; pid: Get; pv1: Get; obr: Get; obx: Get[] }): Hl7Fields {
  return {
    messageType: s.msh(9),
    controlId: s.msh(10),
    sendingApplication: s.msh(3, 1),
    sendingFacility: s.msh(4, 1),
    messageTime: s.msh(7),
    patientId: s.pid(3, 1),
    location: s.pv1(3),
    observationTime: s.obr(7),
    observations: s.obx.map((o) => ({
      setId: o(1), valueType: o(2), code: o(3, 1), codeText: o(3, 2), codingSystem: o(3, 3), subId: o(4), value: o(5), unit: o(6, 1),
      referenceRange: o(7), abnormalFlags: o(8), status: o(11), time: o(14), equipment: o(18, 1),
    })),
  }
}
