// neva triage: NDJSON vital-sign sets on stdin → one NDJSON triage result per line, in order.
// NEWS2 always; the triage model on top: the core's current model (--core URL, token from
// NEVA_CORE_TOKEN, signed by a key given with --trusted-key or NEVA_MODEL_TRUSTED_KEYS), a manifest (--model FILE.json), the one gateways ship with, or --no-model.
// Lines that carry `patient_id` and `time` build that patient's history, so the model sees trends.
// A malformed line gets an error object naming the problem; the other lines are still scored.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { NEWS2_PARAMETERS, type ModelVerdict } from '@neva/contracts'
import {
  DEFAULT_MODEL_MANIFEST, DEFAULT_RISK_MANIFEST, FEATURES, FEATURE_SET, ModelSync, NEWS2_MODEL_VERSION, PatientHistory, TriagePool, extractFeatures, finalLevel, levelWithRisk,
  news2, normalize, parsePublicKey, parseVitalSet, readModelFiles, type VitalSet,
} from '@neva/edge'
import { parse, UsageError } from '../args.js'
import { RiskHistories, scoreRisk } from './triage-risk.js'

interface Line {
  vitals: VitalSet
  patientId: string | undefined
  time: number
  age: number | null
}

/** Splits off the keys that are not vital signs, then parses the vital signs. */
export function parseLine(line: string): Line | { error: string } {
  let input: unknown
  try {
    input = JSON.parse(line)
  } catch (err) {
    return { error: `invalid JSON: ${(err as Error).message}` }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { error: 'expected a JSON object' }
  const { patient_id, time, age, ...rest } = input as Record<string, unknown>
  if (patient_id !== undefined && (typeof patient_id !== 'string' || patient_id === '')) return { error: 'patient_id: expected a non-empty string' }
  if (time !== undefined && (typeof time !== 'number' || !Number.isInteger(time) || time < 0)) return { error: 'time: expected epoch milliseconds' }
  if (age !== undefined && age !== null && (typeof age !== 'number' || age < 0 || age > 130)) return { error: `age: expected years (0–130), got ${JSON.stringify(age)}` }
  const parsed = parseVitalSet(rest)
  if (!parsed.ok) return { error: parsed.error }
  return { vitals: parsed.value, patientId: patient_id as string | undefined, time: (time as number | undefined) ?? Date.now(), age: (age as number | null | undefined) ?? null }
}

export class Triage {
  private readonly histories = new Map<string, PatientHistory>()
  private readonly riskHistories = new RiskHistories()

  constructor(private readonly pool: TriagePool | undefined) {}

  /** The result object for one input line (undefined for a blank line). */
  async score(text: string, lineNo: number): Promise<object | undefined> {
    if (text.trim() === '') return undefined
    const line = parseLine(text)
    if ('error' in line) return { line: lineNo, error: line.error }
    const score = news2(line.vitals)
    let model: ModelVerdict | null = null
    const manifest = this.pool?.current()
    if (this.pool && manifest) {
      let history = line.patientId ? this.histories.get(line.patientId) : undefined
      if (!history) {
        history = new PatientHistory()
        if (line.patientId) this.histories.set(line.patientId, history)
      }
      history.spo2Scale = line.vitals.spo2_scale ?? 1
      if (line.age !== null) history.age = line.age
      for (const p of NEWS2_PARAMETERS) {
        const v = line.vitals[p]
        if (v !== null && v !== undefined) history.add(p, v, line.time)
      }
      const raw = extractFeatures(history, line.time)
      model = await this.pool.score(normalize(raw, manifest.features), raw)
    }
    const { obs, now, age } = this.riskHistories.add(line.patientId, line.time, line.vitals, line.age)
    const risk = this.pool ? await scoreRisk(this.pool, obs, now, age) : null
    // Only ever above NEWS2: with the deterioration model, by its risk at the manifest's thresholds
    // (never from sparse inputs); without it, by the triage model's level.
    const level = risk ? levelWithRisk(score.level, risk, this.pool?.currentRisk()?.escalation) : finalLevel(score.level, model?.level)
    return {
      news2: score,
      model: model || risk ? { ...model, ...risk } : null,
      level,
      model_version: model ? `${model.id}@${model.version}` : NEWS2_MODEL_VERSION,
    }
  }
}

/** The core's current model, fetched and verified (signature included) as a gateway does. */
async function installCurrent(pool: TriagePool, url: string, keys: string[]): Promise<void> {
  const token = process.env.NEVA_CORE_TOKEN
  if (!token) throw new UsageError('--core needs NEVA_CORE_TOKEN (a gateway or admin token)')
  const trusted = [...keys, ...(process.env.NEVA_MODEL_TRUSTED_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean)]
  if (trusted.length === 0) throw new UsageError('--core needs the public key(s) models are signed with: --trusted-key KEY or NEVA_MODEL_TRUSTED_KEYS')
  const trustedKeys = trusted.map((k, i) => {
    try {
      return parsePublicKey(k)
    } catch (err) {
      throw new UsageError(`trusted key ${i + 1}: not an Ed25519 public key (${(err as Error).message})`)
    }
  })
  const dataDir = mkdtempSync(join(tmpdir(), 'neva-triage-'))
  let refusal: Error | undefined
  const sync = new ModelSync({ url, token, trustedKeys, dataDir, intervalMs: 0, timeoutMs: 15_000, install: (m, b) => pool.install(m, b).catch((err: Error) => { refusal = err; throw err }) })
  try {
    const outcome = await sync.syncOnce()
    if (outcome !== 'installed') throw refusal ?? new Error(`no model from ${url}: ${outcome}${sync.lastError ? ` (${sync.lastError})` : ''}${sync.lastRefusal ? ` (${sync.lastRefusal})` : ''}`)
  } finally {
    await sync.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, core: { type: 'string' }, 'trusted-key': { type: 'string', multiple: true }, 'no-model': { type: 'boolean', default: false }, 'risk-model': { type: 'string' } })
  if ([values.model, values.core, values['no-model'] || undefined].filter(Boolean).length > 1) throw new UsageError('--model, --core and --no-model exclude each other')
  let pool: TriagePool | undefined
  if (!values['no-model']) {
    pool = new TriagePool({ threads: 1, spec: { featureSet: FEATURE_SET, features: FEATURES } })
    try {
      if (values.core) await installCurrent(pool, values.core, values['trusted-key'] ?? [])
      else {
        const { manifest, bytes } = await readModelFiles(values.model ?? DEFAULT_MODEL_MANIFEST)
        await pool.install(manifest, bytes)
      }
      if (values['risk-model'] !== 'none') {
        const risk = await readModelFiles(values['risk-model'] ?? DEFAULT_RISK_MANIFEST)
        await pool.installRisk(risk.manifest, risk.bytes)
      }
    } catch (err) {
      await pool.close()
      throw err
    }
  }
  const triage = new Triage(pool)
  try {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
    let n = 0
    // Lines are scored in chunks (one pool task each) and written in input order.
    let chunk: Array<Promise<object | undefined>> = []
    const flush = async () => {
      for (const out of await Promise.all(chunk)) {
        if (out && !process.stdout.write(`${JSON.stringify(out)}\n`)) await new Promise((r) => process.stdout.once('drain', r))
      }
      chunk = []
    }
    for await (const line of lines) {
      chunk.push(triage.score(line, ++n))
      if (chunk.length >= 256) await flush()
    }
    await flush()
  } finally {
    await pool?.close()
  }
  return 0
}
