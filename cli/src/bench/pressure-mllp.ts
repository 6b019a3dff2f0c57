// `neva bench pressure`'s MLLP phase: one HL7 connection, as a lab middleware that sends without
// waiting for ACKs, against a bare MLLP sink on the same machine in the same run (deframes and
// answers a fixed ACK: what the connection and the sender can carry), and against the same
// gateway with a sender that waits for each ACK. The gateway bounds what one connection has
// waiting (mllp.max_pending_per_connection) and answers in order.
import { fork } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { buildAck, MllpDeframer, mllpFrame } from '@neva/firmware-adapters'
import type { Gateway } from '@neva/edge'
import type { MllpJob, MllpResult } from './mllp-sender.js'

export interface MllpFigures {
  mllp_one_conn_per_s: number
  mllp_bare_sink_per_s: number
  /** No-wait sender: gateway ÷ bare sink. */
  mllp_ratio: number
  mllp_stop_and_wait_per_s: number
  mllp_pending_max: number
  mllp_pauses: number
  mllp_out_of_order: number
}

function sender(job: MllpJob): Promise<MllpResult> {
  const child = fork(new URL('./mllp-sender.ts', import.meta.url), ['child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise<MllpResult>((resolve, reject) => {
    child.on('message', (m: { ready?: boolean; result?: MllpResult; error?: string }) => {
      if (m.ready) child.send({ job })
      if (m.result) resolve(m.result)
      if (m.error) reject(new Error(`mllp sender: ${m.error}`))
    })
    child.once('exit', (code) => reject(new Error(`mllp sender exited with ${code}`)))
  })
}

/** Deframes and answers each frame with the same AA: no decoding, no durability. */
async function bareSink() {
  const ack = Buffer.from(mllpFrame(buildAck(undefined, 'AA', '', { controlId: 'SINK', time: Date.now() })))
  const server = createServer((socket) => {
    const deframer = new MllpDeframer()
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      const n = deframer.push(chunk).messages.length
      if (n > 0) socket.write(n === 1 ? ack : Buffer.concat(Array.from({ length: n }, () => ack)))
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

const perS = (r: MllpResult) => r.accepted / (r.elapsedMs / 1000)

export async function bareMllpSink(messages: number, firstTime: number): Promise<MllpResult> {
  const sink = await bareSink()
  try {
    return await sender({ port: sink.port, messages, wait: false, prefix: 'sink', firstTime })
  } finally {
    await sink.close()
  }
}

/** Both senders against one gateway; the caller counts what its outbox holds. */
export async function mllpAgainstGateway(g: Gateway, messages: number, firstTime: number): Promise<{ pipelined: MllpResult; waiting: MllpResult; flow: { pending_max: number; pauses: number } }> {
  const port = g.mllpPort!
  const pipelined = await sender({ port, messages, wait: false, prefix: 'lis', firstTime })
  const flow = ((await (await fetch(`${g.apiUrl}/status`)).json()) as { mllp: { flow: { pending_max: number; pauses: number } } }).mllp.flow
  const waiting = await sender({ port, messages: Math.max(1, Math.round(messages / 5)), wait: true, prefix: 'mon', firstTime })
  return { pipelined, waiting, flow }
}

export function mllpFigures(bare: MllpResult, r: Awaited<ReturnType<typeof mllpAgainstGateway>>): MllpFigures {
  return {
    mllp_one_conn_per_s: Math.round(perS(r.pipelined)),
    mllp_bare_sink_per_s: Math.round(perS(bare)),
    mllp_ratio: Number((perS(r.pipelined) / perS(bare)).toFixed(3)),
    mllp_stop_and_wait_per_s: Math.round(perS(r.waiting)),
    mllp_pending_max: r.flow.pending_max,
    mllp_pauses: r.flow.pauses,
    mllp_out_of_order: r.pipelined.outOfOrder + r.waiting.outOfOrder,
  }
}
