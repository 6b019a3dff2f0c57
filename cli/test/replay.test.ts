// neva sim replay on three whole real ICU stays (PhysioNet 2012 set A in ../shared; skipped when
// it is absent): a real gateway hears bedside monitors over MLLP, the analyzer over ASTM on a socat
// pseudo-terminal and the ventilators' OPC UA server, the core stores into embedded ClickHouse.
// Then, independently of the command's own check, every recorded value is looked up in the store
// by patient, parameter, time and value, and nothing else may be there.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { clickhouseConfigFromEnv, connectClickHouse } from '@neva/analytics'
import { readPhysionet2012 } from '@neva/simulators'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const SET_A = resolve(ROOT, '../shared/data/physionet-2012/set-a.tar.gz')
const NEVA = join(ROOT, 'bin/neva')

// Where each parameter must be stored: table, key (vital name or test code), factor.
const VITAL = (name: string) => ({ table: 'observations', key: name, factor: 1 })
const LAB = (code: string) => ({ table: 'lab_results', key: code, factor: 1 })
const STORED: Record<string, { table: string; key: string; factor: number }> = {
  HR: VITAL('heart_rate'), RespRate: VITAL('respiratory_rate'), Temp: VITAL('temperature'),
  SysABP: VITAL('art_systolic'), DiasABP: VITAL('art_diastolic'), MAP: VITAL('art_mean'),
  NISysABP: VITAL('nibp_systolic'), NIDiasABP: VITAL('nibp_diastolic'), NIMAP: VITAL('nibp_mean'),
  // A fraction in set A, % in Neva (the gateway's OPC UA node scale 100).
  FiO2: { table: 'observations', key: 'fio2', factor: 100 },
  // Sent over HL7 in LOINC; the decoder keeps an OBX that is not a vital as a lab result.
  GCS: LAB('9269-2'),
  SaO2: LAB('SAO2'), Lactate: LAB('LACT'), Creatinine: LAB('CREA'), BUN: LAB('BUN'), WBC: LAB('WBC'), Platelets: LAB('PLT'), HCO3: LAB('HCO3'),
  pH: LAB('PH'), PaO2: LAB('PAO2'), PaCO2: LAB('PACO2'), K: LAB('K'), Na: LAB('NA'), Mg: LAB('MG'), Glucose: LAB('GLU'), HCT: LAB('HCT'),
  Albumin: LAB('ALB'), ALP: LAB('ALP'), ALT: LAB('ALT'), AST: LAB('AST'), Bilirubin: LAB('TBIL'), Cholesterol: LAB('CHOL'),
  TroponinI: LAB('TNI'), TroponinT: LAB('TNT'), Urine: LAB('UO'),
  // An MDC-coded metric outside the named vitals: an observation named other, found by its code.
  Weight: { table: 'observations', key: 'mdc:188736', factor: 1 },
}
// What the gateway cannot carry, and why.
const NOT_CARRIED: Record<string, string> = {
  MechVent: 'no vital or MDC code for "on mechanical ventilation": the OPC UA config cannot map it',
}

test('neva sim replay: three whole stays stored equal to the recording (parameter, time and value)', { skip: !existsSync(SET_A) && 'no ../shared/data/physionet-2012 here', timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-replay-test-'))
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(NEVA, ['sim', 'replay', '--physionet2012', SET_A, '--patients', '3', '--time-scale', '100000', '--data', dir, '--json'], { cwd: ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
    })
    assert.equal(code, 0, `${stdout}\n${stderr}`)
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { admission: number; patient_ids: string[]; missing: number; unexpected: number; sent: { hl7: number; astm: number; opcua: number } }
    assert.equal(summary.missing, 0)
    assert.equal(summary.unexpected, 0)
    assert.ok(summary.sent.hl7 > 0 && summary.sent.astm > 0 && summary.sent.opcua > 0, JSON.stringify(summary.sent))

    // The recording, expected in the store.
    const expected = new Map<string, number>()
    let notCarried = 0
    for (const stay of readPhysionet2012(SET_A, 3)) {
      const patient = `pn12-${stay.recordId}`
      assert.ok(summary.patient_ids.includes(patient))
      let lastFio2: number | undefined
      for (const r of stay.readings) {
        if (NOT_CARRIED[r.parameter]) { notCarried++; continue }
        const where = STORED[r.parameter]
        assert.ok(where, `parameter ${r.parameter} has no expected place in the store`)
        if (r.parameter === 'FiO2') {
          // OPC UA notifies data changes: a setting recorded again unchanged is no new value.
          if (r.value === lastFio2) continue
          lastFio2 = r.value
        }
        const k = `${where.table}|${patient}|${where.key}|${summary.admission + r.minute * 60_000}|${Number((r.value * where.factor).toPrecision(12))}`
        expected.set(k, (expected.get(k) ?? 0) + 1)
      }
    }
    assert.ok(notCarried > 0)

    const ch = await connectClickHouse({ ...clickhouseConfigFromEnv(), path: join(dir, 'clickhouse') })
    try {
      const rows = async (query: string) => (await (await ch.client.query({ query, query_params: { ids: summary.patient_ids }, format: 'JSONEachRow' })).json<{ k: string }>()).map((r) => r.k)
      const stored = [
        ...await rows(`SELECT concat('observations|', patient_id, '|', if(name = 'other', concat('mdc:', toString(mdc_code)), name), '|', toString(toUnixTimestamp64Milli(device_time)), '|', toString(value)) AS k FROM observations WHERE has({ids:Array(String)}, patient_id)`),
        ...await rows(`SELECT concat('lab_results|', assumeNotNull(patient_id), '|', test_code, '|', toString(toUnixTimestamp64Milli(assumeNotNull(result_time))), '|', toString(assumeNotNull(numeric_value))) AS k FROM lab_results WHERE has({ids:Array(String)}, ifNull(patient_id, ''))`),
      ]
      const left = new Map(expected)
      const extra: string[] = []
      for (const k of stored) {
        // ClickHouse prints floats in their shortest form, as JavaScript does.
        const n = left.get(k)
        if (n) left.set(k, n - 1)
        else extra.push(k)
      }
      const missing = [...left].filter(([, n]) => n > 0).map(([k]) => k)
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} recorded values not stored`)
      assert.deepEqual(extra.slice(0, 10), [], `${extra.length} stored values not in the recording`)
      assert.equal(stored.length, [...expected.values()].reduce((a, b) => a + b, 0))
    } finally {
      await ch.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
