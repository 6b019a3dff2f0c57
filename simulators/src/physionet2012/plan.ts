// A replay plan: set A stays turned into what their devices send, minute by recorded minute —
// one ORU^R01 per bed and minute (vitals, GCS, weight), one ASTM specimen per bed and minute
// (labs, blood gases, urine), ventilator writes — and what the store must then hold.
import { VITALS } from '@neva/contracts'
import { encodeOruR01, formatHl7Time, type AstmResultInput, type OruReadingInput } from '@neva/firmware-adapters'
import { PHYSIONET2012_PARAMETERS } from './map.js'
import type { Physionet2012Stay } from './read.js'
import type { ReplayVentilatorVariable } from './ventilators.js'

export type ReplayPath = 'hl7' | 'astm' | 'opcua'

/** One recorded value the store must hold: in `observations` by vital name, or in `lab_results` by test code. */
export interface ReplayExpected {
  patientId: string
  parameter: string
  path: ReplayPath
  table: 'observations' | 'lab_results'
  /** Vital name or `mdc:<code>` for a coded metric (observations), or test code (lab_results). */
  key: string
  /** Recorded time: admission + offset, epoch ms. */
  time: number
  /** The value as the store holds it (after the named conversion, if any). */
  value: number
}

export interface ReplayStep {
  minute: number
  patientId: string
  hl7?: { controlId: string; message: string; readings: number }
  astm?: { specimenId: string; results: AstmResultInput[]; time: number }
  opcua: { variable: ReplayVentilatorVariable; value: number; time: number }[]
}

export interface ReplayPlan {
  admission: number
  patientIds: string[]
  /** In recorded-minute order, beds interleaved. */
  steps: ReplayStep[]
  expected: ReplayExpected[]
  /** Readings per path the devices send. */
  sent: Record<ReplayPath, number>
  /** Recorded values the store will not hold, by reason (each sent anyway unless the reason says not sent). */
  excluded: Record<string, { parameters: string[]; count: number }>
}

export interface ReplayPlanOptions {
  /** Admission time of every stay, epoch ms. */
  admission: number
  /** Patient id = prefix + RecordID. Default 'pn12-'. */
  patientPrefix?: string
  /** Makes control and specimen ids unique across runs (a gateway remembers ids it stored). */
  runTag: string
}

export function planPhysionet2012Replay(stays: readonly Physionet2012Stay[], options: ReplayPlanOptions): ReplayPlan {
  const prefix = options.patientPrefix ?? 'pn12-'
  const plan: ReplayPlan = { admission: options.admission, patientIds: [], steps: [], expected: [], sent: { hl7: 0, astm: 0, opcua: 0 }, excluded: {} }
  const exclude = (reason: string, parameter: string) => {
    const e = (plan.excluded[reason] ??= { parameters: [], count: 0 })
    e.count++
    if (!e.parameters.includes(parameter)) e.parameters.push(parameter)
  }
  for (const stay of stays) {
    const patientId = `${prefix}${stay.recordId}`
    plan.patientIds.push(patientId)
    const equipment = `replay-monitor-${stay.recordId}`
    const lastVent = new Map<string, number>()
    const byMinute = new Map<number, typeof stay.readings>()
    for (const r of stay.readings) byMinute.set(r.minute, [...(byMinute.get(r.minute) ?? []), r])
    for (const [minute, readings] of [...byMinute].sort((a, b) => a[0] - b[0])) {
      const time = options.admission + minute * 60_000
      const step: ReplayStep = { minute, patientId, opcua: [] }
      const vitals: OruReadingInput[] = []
      const coded: string[] = []
      const results: AstmResultInput[] = []
      for (const r of readings) {
        const p = PHYSIONET2012_PARAMETERS[r.parameter]
        if (!p) {
          exclude('not mapped to a device (not sent)', r.parameter)
          continue
        }
        const route = p.route
        if (route.path === 'hl7') {
          vitals.push({ vital: route.vital, value: r.value, time })
          plan.sent.hl7++
          const def = VITALS[route.vital]
          if (r.value < def.min || r.value > def.max) exclude(`outside the gateway's plausible range (refused, kept aside as rejected)`, r.parameter)
          else plan.expected.push({ patientId, parameter: r.parameter, path: 'hl7', table: 'observations', key: route.vital, time, value: r.value })
        } else if (route.path === 'hl7-coded') {
          const unit = route.mdcUnit ?? `${route.unit}^${route.unit}^UCUM`
          coded.push(`OBX|{n}|NM|${route.code}^${route.name}^${route.system}|{sub}|${String(r.value)}|${unit}|||||R|||${formatHl7Time(time, 0)}||||${equipment}`)
          plan.sent.hl7++
          if (p.dropped) exclude(`dropped by the gateway: ${p.dropped}`, r.parameter)
          // An MDC-coded metric outside the named vitals is an observation keyed by its code; a
          // LOINC-coded OBX that is not a vital, a lab result.
          else if (route.system === 'MDC') plan.expected.push({ patientId, parameter: r.parameter, path: 'hl7', table: 'observations', key: `mdc:${route.code}`, time, value: r.value })
          else plan.expected.push({ patientId, parameter: r.parameter, path: 'hl7', table: 'lab_results', key: route.code, time, value: r.value })
        } else if (route.path === 'astm') {
          results.push({ test_code: route.testCode, value: String(r.value), unit: route.unit, status: 'F', result_time: time })
          plan.sent.astm++
          plan.expected.push({ patientId, parameter: r.parameter, path: 'astm', table: 'lab_results', key: route.testCode, time, value: r.value })
        } else {
          const variable = route.variable as ReplayVentilatorVariable
          const previous = lastVent.get(variable)
          lastVent.set(variable, r.value)
          if (previous === r.value) {
            // OPC UA reports data changes (Part 4 DataChangeTrigger StatusValue): an unchanged
            // setting is no new notification, as on a real ventilator.
            exclude('unchanged ventilator value (OPC UA reports changes only; not written)', r.parameter)
            continue
          }
          step.opcua.push({ variable, value: r.value, time })
          plan.sent.opcua++
          if (p.dropped) exclude(`dropped by the gateway: ${p.dropped}`, r.parameter)
          else if (route.vital) {
            const value = Number((r.value * (route.scale ?? 1)).toPrecision(12))
            const def = VITALS[route.vital]
            if (value < def.min || value > def.max) exclude(`outside the gateway's plausible range (refused, kept aside as rejected)`, r.parameter)
            else plan.expected.push({ patientId, parameter: r.parameter, path: 'opcua', table: 'observations', key: route.vital, time, value })
          }
        }
      }
      if (vitals.length > 0 || coded.length > 0) {
        const controlId = `${options.runTag}.${stay.recordId}.${minute}`
        let message = encodeOruR01({
          controlId, time, sendingApplication: 'replay-monitor', sendingFacility: 'ICU', patientId, equipmentId: equipment,
          location: { pointOfCare: 'ICU', bed: stay.recordId }, readings: vitals,
        })
        // encodeOruR01 numbers its OBX 1 (the device) then 2…; the coded ones follow.
        coded.forEach((obx, i) => {
          const n = vitals.length + 2 + i
          message += `${obx.replace('{n}', String(n)).replace('{sub}', `1.0.0.${n - 1}`)}\r`
        })
        step.hl7 = { controlId, message, readings: vitals.length + coded.length }
      }
      if (results.length > 0) step.astm = { specimenId: `${options.runTag}${stay.recordId}m${minute}`, results, time }
      if (step.hl7 || step.astm || step.opcua.length > 0) plan.steps.push(step)
    }
  }
  plan.steps.sort((a, b) => a.minute - b.minute)
  return plan
}
