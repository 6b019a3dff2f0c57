// For the MLLP sender tests: a gateway that misbehaves on purpose over real TCP (port 0, loopback).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { MllpDeframer, buildAck, mllpFrame, parseHl7 } from '@neva/firmware-adapters'

/** A gateway that misbehaves on purpose: answers with `reply`, or not at all. */
export async function scriptedGateway(reply: (controlId: string, n: number) => 'AA' | 'AE' | 'AR' | null) {
  const seen: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    const deframer = new MllpDeframer()
    socket.on('data', (chunk: Buffer) => {
      for (const frame of deframer.push(chunk).messages) {
        const message = parseHl7(frame).message!
        const id = message.header.value(10)
        seen.push(id)
        const code = reply(id, seen.filter((s) => s === id).length)
        if (code) socket.write(mllpFrame(buildAck(message, code, code === 'AA' ? undefined : 'scripted')))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    async stop() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
