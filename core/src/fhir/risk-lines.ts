// The bulk export's RiskAssessments as NDJSON lines built by template: the resource riskResource
// (risk-assessment.ts) maps, field for field and in the same order, without an object tree, a
// compact() per level and a JSON.stringify of the whole per row. What repeats (the method of a
// model pair, a patient's reference, a level's outcome and qualitative risk) is rendered once;
// a row adds its id, time, probabilities and notes. Strings reach the line through JSON.stringify.
import { iso, text, type Row } from './common.js'
import { escapeKey, fhirId } from './ids.js'
import { levelPrediction, levelProbability, modelRiskOf, riskMethod, riskNotes, riskPrediction } from './risk-assessment.js'

export class RiskLines {
  private readonly methods = new Map<string, string>()
  private readonly subjects = new Map<string, string>()
  private readonly levels = new Map<string, string>()
  private readonly gateways = new Map<string, string>()

  /** One RiskAssessment as a line (with its newline), from a row as FhirStore's risk source gives it. */
  line(row: Row): string {
    const risk = modelRiskOf(row)
    const probability = levelProbability(row)
    let out = `{"resourceType":"RiskAssessment","id":"${this.id(String(row.k))}","status":"final","method":${this.method(text(row.model_version), risk?.model)},`
      + `"code":{"text":"triage"},"subject":${this.subject(row.patient_id)},"occurrenceDateTime":"${iso(row.t_ms)}",`
      + `"prediction":[${this.level(String(row.level))}${probability !== undefined ? `,"probabilityDecimal":${JSON.stringify(probability)}` : ''},"rationale":${JSON.stringify(`NEWS2 score ${row.news2_score}`)}}`
    if (risk) out += `,${JSON.stringify(riskPrediction(risk))}`
    out += '],"note":['
    const notes = riskNotes(row)
    for (let i = 0; i < notes.length; i++) out += `${i > 0 ? ',' : ''}{"text":${JSON.stringify(notes[i])}}`
    return `${out}]}\n`
  }

  /** fhirId of "gateway|seq": escaping is per byte, so the gateway's escape is kept and the digits stay as they are. */
  private id(k: string): string {
    const bar = k.lastIndexOf('|')
    const seq = k.slice(bar + 1)
    if (bar < 0 || !/^[0-9]+$/.test(seq)) return fhirId(k)
    const gateway = k.slice(0, bar)
    let g = this.gateways.get(gateway)
    if (g === undefined) this.gateways.set(gateway, (g = escapeKey(gateway)))
    const id = `${g}.7c${seq}`
    return id.length <= 64 ? id : fhirId(k)
  }

  private method(version: string | undefined, riskModel: string | undefined): string {
    const key = `${version ?? ''}\u0000${riskModel ?? ''}`
    let m = this.methods.get(key)
    if (m === undefined) this.methods.set(key, (m = JSON.stringify(riskMethod(version, riskModel))))
    return m
  }

  private subject(patient: string): string {
    let s = this.subjects.get(patient)
    if (s === undefined) this.subjects.set(patient, (s = JSON.stringify({ reference: `Patient/${fhirId(patient)}` })))
    return s
  }

  /** The first prediction up to its probability: `{"outcome":…,"qualitativeRisk":…` (left open). */
  private level(level: string): string {
    let l = this.levels.get(level)
    if (l === undefined) this.levels.set(level, (l = JSON.stringify(levelPrediction(level)).slice(0, -1)))
    return l
  }
}
