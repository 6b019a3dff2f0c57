// A TCP proxy between the gateway and the core that can cut the uplink: while cut, every
// connection is refused and the ones open are torn down mid-request.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'

export async function startUplinkProxy(target: () => number) {
  let cut = false
  const open = new Set<Socket>()
  const server = createServer((inbound) => {
    if (cut) return inbound.destroy()
    const outbound = connect(target(), '127.0.0.1')
    open.add(inbound).add(outbound)
    const close = () => {
      inbound.destroy()
      outbound.destroy()
      open.delete(inbound)
      open.delete(outbound)
    }
    inbound.on('error', close).on('close', close)
    outbound.on('error', close).on('close', close)
    inbound.pipe(outbound)
    outbound.pipe(inbound)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setCut(value: boolean) {
      cut = value
      if (cut) for (const s of open) s.destroy()
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of open) s.destroy()
      server.close(() => resolve())
    }),
  }
}
