// One HL7 sender for `neva bench pressure`, in its own process: ORU^R01 messages of one reading
// over one MLLP connection, either each after the previous ACK (a monitor) or all without waiting
// (lab middleware, an interface engine flushing a queue), honouring only TCP's own backpressure.
// Counts AA answers and checks that the ACKs come back in the order the messages went.
import { once } from 'node:events'
import { connect } from 'node:net'
import { encodeOruR01, MllpDeframer, mllpFrame, parseHl7 } from '@neva/firmware-adapters'

export interface MllpJob {
  port: number
  messages: number
  wait: boolean
  prefix: string
  firstTime: number
}

export interface MllpResult {
  accepted: number
  elapsedMs: number
  /** ACKs whose MSA-2 was not the next message's control id. */
  outOfOrder: number
}

const frame = (job: MllpJob, i: number) => mllpFrame(encodeOruR01({
  controlId: `${job.prefix}-${i}`, time: job.firstTime + i, sendingApplication: 'BENCH-LIS', sendingFacility: 'LAB',
  patientId: `${job.prefix}.p${i % 200}`, equipmentId: `${job.prefix}-dev-${i % 200}`,
  readings: [{ vital: 'heart_rate', value: 60 + (i % 60) }],
}))

export async function sendMllp(job: MllpJob): Promise<MllpResult> {
  const frames = Array.from({ length: job.messages }, (_, i) => frame(job, i))
  const socket = connect(job.port, '127.0.0.1')
  await once(socket, 'connect')
  socket.setNoDelay(true)
  const deframer = new MllpDeframer()
  let answered = 0
  let accepted = 0
  let outOfOrder = 0
  let next: (() => void) | undefined
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      for (const m of deframer.push(chunk).messages) {
        // The bare sink answers bytes it never parsed: MSA-2 is read only from a gateway's ACK.
        const msa = parseHl7(m).message?.segment('MSA')
        if (msa?.value(1) === 'AA') accepted++
        if (msa && msa.value(2) !== `${job.prefix}-${answered}` && msa.value(2) !== '') outOfOrder++
        answered++
        next?.()
      }
      if (answered >= job.messages) resolve()
    })
    socket.once('error', reject)
    socket.once('close', () => answered < job.messages && reject(new Error(`connection closed after ${answered} ACKs`)))
  })
  const t0 = performance.now()
  if (job.wait) {
    for (let i = 0; i < frames.length; i++) {
      const acked = new Promise<void>((resolve) => { next = () => { if (answered > i) resolve() } })
      socket.write(frames[i]!)
      await acked
    }
  } else {
    for (const f of frames) if (!socket.write(f)) await once(socket, 'drain')
  }
  await done
  const elapsedMs = performance.now() - t0
  socket.destroy()
  return { accepted, elapsedMs, outOfOrder }
}

if (process.argv[2] === 'child') {
  process.once('message', (m: { job: MllpJob }) => {
    sendMllp(m.job).then((result) => process.send!({ result }, () => process.exit(0)), (err: Error) => process.send!({ error: err.message }, () => process.exit(1)))
  })
  process.send!({ ready: true })
}
