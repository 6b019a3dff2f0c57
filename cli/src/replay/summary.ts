// The end of a replay, for people: what each path sent, what the store holds, and whether it
// equals the recording; then what the store cannot hold, and why.
import type { ReplaySummary } from './run.js'

export function printSummary(s: ReplaySummary, say: (line: string) => void): void {
  const n = (x: number) => x.toLocaleString('en')
  say('')
  say(`  patients replayed                     ${s.patients}   (admission ${new Date(s.admission).toISOString()}, ×${s.time_scale}, ${s.devices.seconds} s)`)
  say(`  HL7/MLLP  readings sent               ${n(s.sent.hl7).padStart(7)}   in ${n(s.devices.hl7.messages)} ORU^R01 (${n(s.devices.hl7.acked)} AA, ${n(s.devices.hl7.refused)} AE/AR)`)
  say(`  ASTM      results sent                ${n(s.sent.astm).padStart(7)}   in ${n(s.devices.astm.messages)} specimens (${n(s.devices.astm.acked)} acknowledged)`)
  say(`  OPC UA    values written              ${n(s.sent.opcua).padStart(7)}`)
  say(`  stored    observations · lab results  ${n(s.stored.observations)} · ${n(s.stored.lab_results)}   (rejected readings kept aside: ${n(s.stored.rejected)})`)
  for (const [path, p] of Object.entries(s.by_path)) say(`  ${path.padEnd(6)}    expected ${n(p.expected).padStart(7)} · equal ${n(p.equal).padStart(7)} · missing ${n(p.missing)}`)
  const ok = s.missing === 0 && s.unexpected === 0
  say(`  equal to the recording                ${n(s.equal)} of ${n(s.expected)}${ok ? '  ✓' : `  ✗ ${n(s.missing)} missing, ${n(s.unexpected)} stored but not expected`}`)
  say('  not stored, by design:')
  for (const [reason, e] of Object.entries(s.excluded)) say(`    ${n(e.count).padStart(6)}  ${e.parameters.join(', ')}: ${reason}`)
}
