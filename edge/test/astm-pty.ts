// For the ASTM tests over pseudo-terminals: the gateway's side of the line (a serial source
// speaking ASTM into a real durable stage — SQLite outbox, NEWS2 triage — on a fresh directory)
// and the E1381 control bytes the analyzer's side writes by hand.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LabResult, RejectedReading } from '@neva/contracts'
import { labCodeTable } from '@neva/firmware-adapters'
import { DurableStage } from '../src/outbox/durable-stage.js'
import type { Log } from '../src/log.js'
import { createEdgeMetrics } from '../src/metrics.js'
import { SqliteOutbox } from '../src/outbox/sqlite-outbox.js'
import { TriageStage } from '../src/triage/triage-stage.js'
import { astmProtocol, type AstmProtocolOptions } from '../src/sources/astm-protocol.js'
import { DeviceRegistry } from '../src/sources/devices.js'
import type { DecodedSink } from '../src/sources/source.js'
import { SerialSource } from '../src/sources/serial-source.js'

// ASTM E1381 §6 control characters.
export const ENQ = 0x05
export const ACK = 0x06
export const NAK = 0x15
export const EOT = 0x04

const log: Log = () => {}

export interface AstmGatewayOptions {
  /** astmProtocol options beyond the device, the lab codes and UTC (the default offset 0). */
  protocol?: Partial<Omit<AstmProtocolOptions, 'deviceId' | 'labCodes'>>
  /** The serial source's tick; its default when absent. */
  tickMs?: number
  /** Wraps the durable stage (to hold or fail its writes). */
  wrap?: (durable: DurableStage) => DecodedSink
}

/** The gateway's end of an ASTM line on `path`: device chem-1, gateway gw-lab. */
export async function astmGateway(path: string, options: AstmGatewayOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-'))
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), gatewayId: 'gw-lab' })
  const devices = new DeviceRegistry()
  const durable = new DurableStage(outbox, new TriageStage({ outbox, log }), createEdgeMetrics(outbox), log, devices)
  const source = new SerialSource({
    path, baudRate: 9600, deviceId: 'chem-1', source: 'astm', devices, log, retryMinMs: 50, retryMaxMs: 250,
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    next: options.wrap ? options.wrap(durable) : durable,
    protocol: astmProtocol({ deviceId: 'chem-1', labCodes: labCodeTable(), defaultUtcOffsetMinutes: 0, ...options.protocol }),
  })
  await source.start()
  const held = { labResults: [] as LabResult[], rejected: [] as RejectedReading[] }
  /** Everything the outbox took so far (batches acknowledged as the uplink would). */
  const drain = async () => {
    for (let b = await outbox.nextBatch(10_000); b; b = await outbox.nextBatch(10_000)) {
      held.labResults.push(...b.labResults)
      held.rejected.push(...b.rejected)
      await outbox.ack(b.id)
    }
    return held
  }
  return {
    source,
    outbox,
    devices,
    device: () => devices.snapshot().find((d) => d.device_id === 'chem-1'),
    drain,
    /** The lab results the outbox took so far. */
    results: async (): Promise<LabResult[]> => (await drain()).labResults,
    async close() {
      await source.stop()
      await durable.settle()
      await outbox.close()
    },
  }
}
