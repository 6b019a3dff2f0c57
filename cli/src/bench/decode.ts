// neva bench decode: device messages per second through a real gateway, each protocol over its
// own transport, from the first byte on the wire to the device's acknowledgement (which comes
// only once the readings are durable in the outbox):
//
//   hl7        ORU^R01 monitor messages over MLLP/TCP, several monitors at once, each waiting for
//              its ACK before the next message (as monitors do);
//   astm       lab result messages (H, P, O, 6 R, L) over a socat pseudo-terminal with the E1381
//              handshake, frame by frame;
//   oximeter   Masimo-style ASCII lines over a pseudo-terminal, as fast as the port takes them;
//              counted once their readings are in the outbox.
//
// And for HL7, the parser alone: this gateway's against Medplum's (`Hl7Message.parse`), reading
// the same fields of the same messages, side by side in interleaved rounds.
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import {
  AstmSender, MllpDeframer, decodeHl7WithMedplum, encodeAstmFrames, encodeOruR01, encodeOximeterAsciiRecord, extractHl7Fields, mllpFrame,
  type AstmMessageInput, type AstmSenderOutput,
} from '@neva/firmware-adapters'
import { parseGatewayConfig, startGateway, type Gateway } from '@neva/edge'
import { startPtyPair, type PtyPair } from '@neva/simulators'

export interface DecodeBenchOptions {
  hl7Messages: number
  hl7Connections: number
  astmMessages: number
  oximeterLines: number
  parseRounds: number
  log: (line: string) => void
}

export interface DecodeBenchResult {
  hl7_per_s: number
  hl7_reference_per_s: number
  /** This gateway's parser alone, on the same messages as the reference. */
  hl7_parse_per_s: number
  astm_per_s: number
  oximeter_per_s: number
}

const T0 = Date.UTC(2026, 10, 26, 8)

function hl7Messages(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const bed = i % 500
    return encodeOruR01({
      controlId: `bench-${i}`,
      time: T0 + i * 10,
      sendingApplication: 'BENCH-MON',
      sendingFacility: 'ICU',
      patientId: `bench.bed${bed}`,
      location: { pointOfCare: 'ICU', room: String(1 + (bed >> 4)), bed: String(bed) },
      equipmentId: `bench-mon-${bed}`,
      readings: [
        { vital: 'heart_rate', value: 60 + (i % 60) },
        { vital: 'spo2', value: 90 + (i % 10) },
        { vital: 'pulse_rate', value: 61 + (i % 60) },
        { vital: 'respiratory_rate', value: 12 + (i % 12) },
        { vital: 'temperature', value: 36.5 + (i % 20) / 10 },
        { vital: 'nibp_systolic', value: 100 + (i % 50) },
        { vital: 'nibp_diastolic', value: 60 + (i % 30) },
        { vital: 'nibp_mean', value: 75 + (i % 35) },
      ],
    })
  })
}

/** One monitor: sends its share of the messages one at a time, each after the previous ACK. */
async function monitor(port: number, messages: string[]): Promise<number> {
  const socket: Socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const deframer = new MllpDeframer()
  let waiting: ((ack: string) => void) | undefined
  const acks: string[] = []
  socket.on('data', (chunk: Buffer) => {
    for (const m of deframer.push(chunk).messages) {
      const text = Buffer.from(m).toString('utf8')
      if (waiting) {
        const w = waiting
        waiting = undefined
        w(text)
      } else acks.push(text)
    }
  })
  let accepted = 0
  for (const m of messages) {
    const ack = new Promise<string>((resolve) => { waiting = resolve })
    socket.write(mllpFrame(m))
    if (/\rMSA\|AA\|/.test(await ack)) accepted++
  }
  socket.destroy()
  return accepted
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`bench decode: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

function astmMessage(i: number): AstmMessageInput {
  const tests: Array<[string, number, string]> = [['GLU', 5.4, 'mmol/L'], ['LACT', 1.2, 'mmol/L'], ['K', 4.1, 'mmol/L'], ['NA', 139, 'mmol/L'], ['CREA', 80, 'umol/L'], ['CRP', 3, 'mg/L']]
  const time = T0 + i * 1000
  return {
    sender: 'BENCH-ANALYZER',
    time,
    patients: [{
      patient_id: `bench.p${i % 200}`,
      orders: [{ order_id: `S${i}`, results: tests.map(([test_code, value, unit]) => ({ test_code, value: String(value + (i % 7) / 10), unit, abnormal_flag: 'N', status: 'F', result_time: time })) }],
    }],
  }
}

export async function runDecodeBench(o: DecodeBenchOptions): Promise<DecodeBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'neva-bench-decode-'))
  for (const d of ['astm', 'oxi']) mkdirSync(join(dir, d))
  const ptys: PtyPair[] = [await startPtyPair({ dir: join(dir, 'astm') }), await startPtyPair({ dir: join(dir, 'oxi') })]
  let gateway: Gateway | undefined
  try {
    gateway = await startGateway(parseGatewayConfig({
      gateway_id: 'bench-decode',
      data_dir: join(dir, 'edge'),
      mqtt: { port: 0 },
      api: { port: 0 },
      // No core: the outbox keeps everything, as during an uplink outage.
      core: { url: 'http://127.0.0.1:9', token: 'bench', backoff_base_ms: 1000, backoff_max_ms: 30_000 },
      triage: { sync_interval_ms: 0 },
      // Every simulated monitor connects from loopback: one address, so its cap is the monitors'.
      mllp: { port: 0, max_connections_per_address: Math.max(16, o.hl7Connections) },
      serial: [
        { device_id: 'bench-analyzer', path: ptys[0]!.b, protocol: 'astm' },
        { device_id: 'bench-oximeter', path: ptys[1]!.b, protocol: 'oximeter-ascii', patient_id: 'bench.oxi' },
      ],
      log_level: 'silent',
    }), () => {})
    const g = gateway
    const appended = () => g.outbox.stats().appended

    // HL7 over MLLP.
    const messages = hl7Messages(o.hl7Messages)
    o.log(`  hl7: ${messages.length.toLocaleString('en')} ORU^R01 messages of 8 readings from ${o.hl7Connections} monitors`)
    let t = performance.now()
    const shares = Array.from({ length: o.hl7Connections }, (_, k) => messages.filter((_, i) => i % o.hl7Connections === k))
    const accepted = (await Promise.all(shares.map((share) => monitor(g.mllpPort!, share)))).reduce((a, b) => a + b, 0)
    const hl7PerS = accepted / ((performance.now() - t) / 1000)
    if (accepted !== messages.length) throw new Error(`bench decode: ${messages.length - accepted} HL7 messages were not accepted`)
    o.log(`    ${Math.round(hl7PerS).toLocaleString('en')} messages/s acknowledged (${Math.round(hl7PerS * 8).toLocaleString('en')} readings/s)`)

    // The parsers alone, same messages, interleaved rounds.
    const sample = messages.slice(0, Math.min(messages.length, 5000))
    const totals = { ours: 0, medplum: 0 }
    decodeHl7WithMedplum(sample[0]!)
    for (let round = 0; round < o.parseRounds; round++) {
      for (const which of round % 2 === 0 ? (['ours', 'medplum'] as const) : (['medplum', 'ours'] as const)) {
        const parse = which === 'ours' ? extractHl7Fields : decodeHl7WithMedplum
        const start = performance.now()
        for (const m of sample) if (!parse(m)) throw new Error(`bench decode: ${which} could not parse a message`)
        totals[which] += performance.now() - start
      }
    }
    const parsePerS = (which: keyof typeof totals) => (o.parseRounds * sample.length) / (totals[which] / 1000)
    o.log(`  hl7 parse and read the same fields: this gateway ${Math.round(parsePerS('ours')).toLocaleString('en')}/s, Medplum ${Math.round(parsePerS('medplum')).toLocaleString('en')}/s`)

    // ASTM over a pseudo-terminal, E1381 frame by frame.
    o.log(`  astm: ${o.astmMessages} result messages (6 results each) over a pseudo-terminal`)
    const before = appended()
    const port = new SerialPort({ path: ptys[0]!.a, baudRate: 115200 })
    await once(port, 'open')
    const sender = new AstmSender()
    const write = (out: AstmSenderOutput) => { for (const bytes of out.write) port.write(bytes) }
    port.on('data', (chunk: Buffer) => write(sender.receive(chunk, Date.now())))
    const ticker = setInterval(() => write(sender.tick(Date.now())), 20)
    t = performance.now()
    for (let i = 0; i < o.astmMessages; i++) write(sender.enqueue({ id: String(i), frames: encodeAstmFrames(astmMessage(i)) }, Date.now()))
    await waitFor('the analyzer to finish', () => sender.queued === 0 && sender.state === 'idle', 300_000)
    const astmPerS = o.astmMessages / ((performance.now() - t) / 1000)
    clearInterval(ticker)
    await new Promise<void>((resolve) => port.close(() => resolve()))
    const labStored = appended() - before
    if (labStored < o.astmMessages * 6) throw new Error(`bench decode: ${labStored} of ${o.astmMessages * 6} lab results stored`)
    o.log(`    ${Math.round(astmPerS).toLocaleString('en')} messages/s acknowledged (${Math.round(astmPerS * 6).toLocaleString('en')} results/s)`)

    // Oximeter lines over a pseudo-terminal.
    o.log(`  oximeter: ${o.oximeterLines.toLocaleString('en')} ASCII lines over a pseudo-terminal`)
    const oxi = new SerialPort({ path: ptys[1]!.a, baudRate: 115200 })
    await once(oxi, 'open')
    const lines = Array.from({ length: o.oximeterLines }, (_, i) => encodeOximeterAsciiRecord({ time: T0 + i * 1000, spo2: 90 + (i % 10), pulseRate: 60 + (i % 40) }))
    const start = appended()
    t = performance.now()
    for (let i = 0; i < lines.length; i += 200) {
      if (!oxi.write(lines.slice(i, i + 200).join(''))) await once(oxi, 'drain')
    }
    // Two readings a line: SpO2 and pulse rate.
    await waitFor('the oximeter readings', () => appended() - start >= 2 * lines.length, 120_000)
    const oxiPerS = lines.length / ((performance.now() - t) / 1000)
    await new Promise<void>((resolve) => oxi.close(() => resolve()))
    o.log(`    ${Math.round(oxiPerS).toLocaleString('en')} lines/s stored (a real oximeter sends 1)`)
    return {
      hl7_per_s: Math.round(hl7PerS),
      hl7_reference_per_s: Math.round(parsePerS('medplum')),
      hl7_parse_per_s: Math.round(parsePerS('ours')),
      astm_per_s: Math.round(astmPerS),
      oximeter_per_s: Math.round(oxiPerS),
    }
  } finally {
    await gateway?.stop()
    for (const p of ptys) await p.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
