// neva sim ambulance --ecg-record FILE.hea: a real WFDB recording streamed through the
// ambulance's ECG path, at the record's rate and with its lead set; prints the report as JSON.
import { readWfdbRecord } from '@neva/firmware-adapters'
import { streamEcgRecord, type EcgRecordOptions } from '@neva/simulators'
import { UsageError } from '../args.js'

const PATIENT = /^[A-Za-z0-9._:/-]{1,128}$/

export async function ecgRecordCommand(o: { file: string; broker: string; ambulanceId: string; patientId?: string; seconds?: number } & Pick<EcgRecordOptions, 'timeScale' | 'signal' | 'username' | 'password' | 'tls'>): Promise<number> {
  const r = readWfdbRecord(o.file)
  if (!r.ok) throw new UsageError(`${o.file}: ${r.problem.code}: ${r.problem.reason}`)
  for (const p of r.record.problems) process.stderr.write(`${o.file}: ${p.code}: ${p.reason}\n`)
  // Only what the checksums prove is streamed; a signal whose file is missing is left out (reported).
  const failed = r.record.signals.filter((s) => s.samples && !s.verified)
  if (failed.length > 0) throw new UsageError(`${o.file}: ${failed.map((s) => s.spec.description).join(', ')} failed the header's checksum or initial value; not streamed`)
  const patientId = o.patientId ?? `${o.ambulanceId}.${r.record.header.record}`
  if (!PATIENT.test(patientId)) throw new UsageError(`--patient-id ${JSON.stringify(patientId)} is not an identifier`)
  try {
    const report = await streamEcgRecord({ brokerUrl: o.broker, ambulanceId: o.ambulanceId, patientId, record: r.record, ...(o.seconds === undefined ? {} : { seconds: o.seconds }), ...(o.timeScale === undefined ? {} : { timeScale: o.timeScale }), ...(o.signal ? { signal: o.signal } : {}), ...(o.username ? { username: o.username, password: o.password } : {}), ...(o.tls ? { tls: o.tls } : {}) })
    process.stdout.write(`${JSON.stringify(report)}\n`)
    return report.unacknowledged === 0 ? 0 : 1
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`${o.file}: ${err.message}`)
    throw err
  }
}
