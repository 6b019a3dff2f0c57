// Flow control for one busy MQTT connection. aedes reads a socket chunk, handles its packets
// together, and reads the next chunk only when every one is done — for a QoS 1 publish, once it
// is durable and acknowledged. One connection so waits a whole group commit per chunk, its main
// thread idle meanwhile. Here the gate is the flow's: on the turn after publishes were parsed,
// the next chunk is read while they wait for durability, so it joins the next commit. When a
// connection (or the gateway) reaches its bound of waiting publishes, the connection is paused
// (aedes' Client.pause: nothing more is read) until half the bound is left: the socket's buffers
// fill and TCP backpressure slows the device — the only flow control MQTT 3.1.1 has (aedes 1.2.0
// refuses MQTT 5 connections: no receive maximum to announce). The bound is soft by the rest of
// the chunk being parsed when it is reached (what the socket had buffered: up to about 128 KiB).
//
// It relies on aedes' Client (pinned at 1.2.0): pause() and resume(), `_parsingBatch`, the
// packets of the chunk not yet done, and `_nextBatch`, which counts one done and reads the socket
// when none is left. Reading early is safe: aedes handles a chunk's packets concurrently anyway.

interface GateClient {
  _parsingBatch: number
  _nextBatch: (err?: Error) => void
  pause(): void
  resume(): void
  conn?: { cork?: () => void; uncork?: () => void }
}

interface ConnectionFlow {
  client: GateClient
  pending: number
  scheduled: boolean
  /** Paused by the flow: at a bound. */
  gated: boolean
  corked: boolean
}

export interface MqttFlowLimits {
  /** Publishes one connection may have waiting for durability before its socket is not read. */
  maxPendingPerConnection: number
  /** The same over all connections. */
  maxPendingTotal: number
}

export interface MqttFlowStatus {
  /** Publishes waiting for durability now, over all connections. */
  pending: number
  /** The most ever waiting at once. */
  pending_max: number
  /** Connections not being read now because they (or the gateway) are at the bound. */
  paused_connections: number
  /** Times a connection reached the bound and stopped being read. */
  pauses: number
  max_pending_per_connection: number
  max_pending_total: number
}

export class MqttFlow {
  private readonly flows = new WeakMap<object, ConnectionFlow>()
  private readonly gated = new Set<ConnectionFlow>()
  private pending = 0
  private pendingMax = 0
  private pauses = 0

  constructor(readonly limits: MqttFlowLimits) {}

  status(): MqttFlowStatus {
    return {
      pending: this.pending,
      pending_max: this.pendingMax,
      paused_connections: this.gated.size,
      pauses: this.pauses,
      max_pending_per_connection: this.limits.maxPendingPerConnection,
      max_pending_total: this.limits.maxPendingTotal,
    }
  }

  /**
   * A publish of `client` starts waiting for durability; call the result once it is settled,
   * just before calling aedes back.
   */
  hold(client: object): () => void {
    let flow = this.flows.get(client)
    if (!flow) this.flows.set(client, (flow = { client: client as GateClient, pending: 0, scheduled: false, gated: false, corked: false }))
    const f = flow
    f.pending++
    this.pending++
    if (this.pending > this.pendingMax) this.pendingMax = this.pending
    if (!f.gated && (f.pending >= this.limits.maxPendingPerConnection || this.pending >= this.limits.maxPendingTotal)) {
      f.gated = true
      f.client.pause()
      this.gated.add(f)
      this.pauses++
    }
    // Not now: this runs inside aedes' parse of the chunk, and its parser is not re-entrant.
    if (!f.scheduled && !f.gated) {
      f.scheduled = true
      setImmediate(() => this.readOn(f))
    }
    return () => {
      f.pending--
      this.pending--
      // A commit settles hundreds of a connection's publishes at once: their PUBACKs in one write.
      if (!f.corked && f.client.conn?.cork) {
        f.corked = true
        f.client.conn.cork()
        process.nextTick(() => {
          f.corked = false
          f.client.conn?.uncork?.()
        })
      }
      this.reopen(f)
      if (this.gated.size > 0 && this.pending <= this.limits.maxPendingTotal / 2) for (const g of this.gated) this.reopen(g)
    }
  }

  /** The next chunk, without waiting for the publishes parsed to be durable. */
  private readOn(f: ConnectionFlow): void {
    f.scheduled = false
    if (f.gated) return
    f.client._parsingBatch = 1
    f.client._nextBatch()
  }

  /** Below half of both bounds, a paused connection is read again. */
  private reopen(f: ConnectionFlow): void {
    if (!f.gated || f.pending > this.limits.maxPendingPerConnection / 2 || this.pending > this.limits.maxPendingTotal / 2) return
    f.gated = false
    this.gated.delete(f)
    setImmediate(() => {
      if (f.gated) return
      f.client._parsingBatch = 1
      f.client.resume()
    })
  }
}
