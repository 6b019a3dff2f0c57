import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LabResult, validator } from '@neva/contracts'
import type { LabResultDraft } from '../decoded.js'
import { decodeAstmCapture, type AstmCaptureOptions } from './capture.js'
import { ACK, ENQ, EOT, ETB, ETX, buildFrame, frameAstmMessage } from './frames.js'

// Real analyzer output, read from outside the repository (never copied into it).
const REAL = join(fileURLToPath(new URL('../../../', import.meta.url)), '../shared/fixtures/real/astm')
const skip = existsSync(REAL) ? false : 'real fixtures absent (../shared/fixtures/real/astm)'
const RECEIVED = Date.UTC(2026, 0, 5, 8)
const OPTIONS: AstmCaptureOptions = { deviceId: 'lab-1', receivedTime: RECEIVED, defaultUtcOffsetMinutes: 0 }
const labResult = validator(LabResult)
const read = (name: string, options: Partial<AstmCaptureOptions> = {}) => decodeAstmCapture(readFileSync(join(REAL, name)), { ...OPTIONS, ...options })
const at = (y: number, mo: number, d: number, h: number, mi: number, s: number) => Date.UTC(y, mo - 1, d, h, mi, s)
/** The columns a test compares: [patient, specimen, code, LOINC, value, number, unit, range, flag, status, time]. */
const row = (r: LabResultDraft) => [r.patient_id, r.order_id, r.test_code, r.loinc, r.value, r.numeric_value, r.unit, r.reference_range, r.abnormal_flag, r.status, r.result_time]
const byCode = (results: LabResultDraft[], code: string) => results.find((r) => r.test_code === code)!

function valid(results: LabResultDraft[]) {
  for (const r of results) assert.ok(labResult.check({ ...r, gateway_id: 'gw', seq: 1 }), `${r.test_code}: ${labResult.explain({ ...r, gateway_id: 'gw', seq: 1 })}`)
}

test('real: Abbott Afinion 2 (one frame, CR trailer)', { skip }, () => {
  const d = read('senaite_abbott_afinion2.astm')
  assert.deepEqual([d.problems, d.ignored], [[], []])
  assert.deepEqual(d.labResults.map(row), [['3643', '5', 'HbA1c', '4548-4', '5.9', 5.9, '%', '', null, 'F', at(2024, 12, 6, 14, 6, 15)]])
  valid(d.labResults)
})

test('real: Abbott ARCHITECT (one 560-byte frame; value, interpretation and RLU under one assay number)', { skip }, () => {
  const d = read('senaite_abbott_architect.astm')
  assert.deepEqual(d.problems, [])
  const t = at(1999, 7, 15, 8, 10, 30)
  assert.deepEqual(d.labResults.map(row), [
    ['PIDSID13', 'SID13', '0021', null, '< 1.20', null, 'mIU/mL', '0.35 TO 4.94', 'EXP^<', 'F', t],
    ['PIDSID13', 'SID13', '0021', null, 'NEGATIVE', null, '', '', null, 'F', t],
    ['PIDSID13', 'SID13', '0021', null, '9245', 9245, 'RLU', '', null, 'F', t],
  ])
  assert.deepEqual(d.labResults[0]!.comments, ['Example Result Comment'])
  // The 11th component says which of the three a result is; the config can make it part of the code.
  assert.deepEqual(read('senaite_abbott_architect.astm', { testCodeComponents: [4, 11] }).labResults.map((r) => r.test_code), ['0021^F', '0021^I', '0021^P'])
  valid(d.labResults)
})

test('real: Roche cobas c111 (ETB between records, LF trailers, an M record)', { skip }, () => {
  const d = read('senaite_cobas_c111.astm')
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.labResults.map(row), [[null, 'T20 10134GA D28', '413', null, '40.13', 40.13, 'g/L', '', 'N', 'F', at(2023, 8, 3, 13, 17, 0)]])
  assert.deepEqual(d.ignored.map((i) => i.code), ['NEVA_ASTM_SKIPPED_RECORD'])
  assert.match(d.ignored[0]!.reason, /M record at offset \d+: manufacturer-specific \(RR\^BM\^c111\^1\)/)
  valid(d.labResults)
})

test('real: Roche cobas c311 (padded fields, repeated tests in O-5, no result times)', { skip }, () => {
  const d = read('senaite_cobas_c311.astm')
  assert.deepEqual([d.problems, d.ignored], [[], []])
  assert.deepEqual(d.labResults.map((r) => [r.test_code, r.value, r.numeric_value, r.unit, r.abnormal_flag, r.status, r.comments]), [
    ['685/', '22.4', 22.4, 'U/l', 'A', 'F', ['43']],
    ['687/', '15.0', 15, 'U/l', 'N', 'F', ['0']],
    ['712/', '4.1', 4.1, 'umol/l', 'L', 'F', ['0']],
    ['158/', '301', 301, 'U/l', 'N', 'F', ['0']],
    ['735/', '1.6', 1.6, 'umol/l', 'N', 'F', ['0']],
    ['717/', '5.85', 5.85, 'mmol/l', 'N', 'F', ['0']],
    ['690/', '34', 34, 'umol/l', 'A', 'F', ['43']],
  ])
  // No patient id, and no: missing stays missing.
  assert.ok(d.labResults.every((r) => r.patient_id === null && r.result_time === null && r.order_id === '11625'))
  valid(d.labResults)
})

test('real: Siemens DCA Vantage (time in R-12 only, comments with components)', { skip }, () => {
  const d = read('senaite_dca_vantage.astm')
  assert.deepEqual([d.problems, d.ignored], [[], []])
  const t = at(2024, 8, 20, 15, 10, 30)
  assert.deepEqual(d.labResults.map(row), [
    ['BU24R554', '660', 'Alb', null, '63.7', 63.7, 'mg/L', '', null, 'F', t],
    ['BU24R554', '660', 'Crt', null, '230.8', 230.8, 'mg/dL', '', null, 'F', t],
    ['BU24R554', '660', 'Ratio', null, '27.6', 27.6, 'mg/g', '', null, 'F', t],
  ])
  assert.deepEqual(d.labResults.map((r) => r.comments), [['1.000 0.0 mg/L'], ['1.000 0.0 mg/dL'], []])
  valid(d.labResults)
})

test('real: Cepheid GeneXpert (delimiters |@^\\, one 4.3 KB frame, analyte results)', { skip }, () => {
  const d = read('senaite_genexpert.astm')
  assert.deepEqual(d.problems, [])
  // 84 R records: 73 with a value, 11 without (no result).
  assert.equal(d.labResults.length, 73)
  assert.deepEqual(d.ignored.map((i) => i.code).filter((c) => c === 'NEVA_ASTM_NO_VALUE').length, 11)
  const main = d.labResults[0]!
  assert.deepEqual(row(main), [null, 'PR25A137', 'Xpert', null, 'NOT DETECTED', null, '', '', null, 'F', at(2025, 5, 14, 13, 21, 3)])
  assert.deepEqual(main.comments, ['Notes Id# 118176 Sardani P Lantion CDU/Dr. A Marcil cp'])
  // With the analyte and complementary-result components in the code, each result is its own.
  const split = read('senaite_genexpert.astm', { testCodeComponents: [4, 7, 8] }).labResults
  assert.equal(new Set(split.map((r) => r.test_code)).size, 73)
  assert.deepEqual(['Xpert^MTB', 'Xpert^rpoB1', 'Xpert^rpoB1^Ct', 'Xpert^SPC^Ct', 'RIF^IS1081-IS6110^EndPt'].map((c) => [c, byCode(split, c).value, byCode(split, c).numeric_value]), [
    ['Xpert^MTB', 'NOT DETECTED', null], ['Xpert^rpoB1', 'INVALID', null], ['Xpert^rpoB1^Ct', '0.0', 0], ['Xpert^SPC^Ct', '24.7', 24.7], ['RIF^IS1081-IS6110^EndPt', '3.0', 3],
  ])
  valid(d.labResults)
})

test('real: Horiba Pentra XLR (one frame per record, frame numbers wrapping, `-----` values, comments)', { skip }, () => {
  const d = read('senaite_pentra_xlr.astm')
  assert.deepEqual([d.problems, d.ignored], [[], []])
  assert.equal(d.labResults.length, 21)
  const t = at(2022, 7, 27, 12, 15, 50)
  assert.deepEqual(row(byCode(d.labResults, 'WBC')), [null, 'S1234', 'WBC', '6690-2', '8.5', 8.5, '1', '', null, 'W', t])
  assert.deepEqual(byCode(d.labResults, 'WBC').comments, ['Alarm_WBC LMNE- BASO+ LL NL LN NO SL1', 'LARGE IMMATURE CELL NRBCs'])
  assert.deepEqual(row(byCode(d.labResults, 'BAS#')), [null, 'S1234', 'BAS#', null, '-----', null, '1', '', 'HH', 'X', t])
  assert.deepEqual(row(byCode(d.labResults, 'MON#')).slice(4, 10), ['0.15', 0.15, '1', '', 'L', 'W'])
  assert.deepEqual(row(byCode(d.labResults, 'PLT')).slice(2, 6), ['PLT', '777-3', '234', 234])
  assert.deepEqual(byCode(d.labResults, 'PLT').comments, ['PLATELET AGGREGATS'])
  assert.deepEqual(['RBC', 'HGB', 'HCT', 'MCV'].map((c) => [byCode(d.labResults, c).loinc, byCode(d.labResults, c).value]), [['789-8', '4.65'], ['718-7', '14.0'], ['4544-3', '40.9'], ['787-2', '88']])
  valid(d.labResults)
})

test('real: Sysmex XN-550 (code in the 5th component, escaped repeats in values, flag-only results)', { skip }, () => {
  const d = read('senaite_sysmex_xn550.astm')
  assert.deepEqual(d.problems, [])
  assert.equal(d.labResults.length, 37)
  const t = at(2024, 6, 27, 13, 54, 7)
  assert.deepEqual(row(byCode(d.labResults, 'WBC')), ['37182', '27', 'WBC', '6690-2', '8.13', 8.13, '10*3/uL', '', 'N', 'F', t])
  assert.deepEqual(row(byCode(d.labResults, 'HCT')).slice(4, 9), ['22.7', 22.7, '%', '', 'L'])
  assert.deepEqual(row(byCode(d.labResults, 'EO%')).slice(4, 9), ['22.1', 22.1, '%', '', 'H'])
  assert.equal(byCode(d.labResults, 'SCAT_WDF').value, 'PNG\\20240628\\2024_06_27_13_54_27_WDF.PNG')
  // Eosinophilia, Anemia, Positive_Diff, Positive_Count: a flag and no value → no result.
  assert.deepEqual(d.ignored.map((i) => i.code), ['NEVA_ASTM_COMMENT_DROPPED', 'NEVA_ASTM_NO_VALUE', 'NEVA_ASTM_NO_VALUE', 'NEVA_ASTM_NO_VALUE', 'NEVA_ASTM_NO_VALUE'])
  assert.match(d.ignored[1]!.reason, /\(Eosinophilia\): no value, no result/)
  valid(d.labResults)
})

test('real: Sysmex XP-100 (space-padded values, no status, no patient id)', { skip }, () => {
  const d = read('senaite_sysmex_xp100.astm')
  assert.deepEqual([d.problems, d.ignored], [[], []])
  assert.equal(d.labResults.length, 20)
  const t = at(2024, 7, 23, 17, 24, 52)
  assert.deepEqual(row(byCode(d.labResults, 'WBC')), [null, '113', 'WBC', '6690-2', '5.5', 5.5, '10*3/uL', '', 'N', '', t])
  assert.deepEqual(row(byCode(d.labResults, 'MCHC')).slice(4, 9), ['41.7', 41.7, 'g/dL', '', 'H'])
  assert.deepEqual(row(byCode(d.labResults, 'PLT')).slice(4, 7), ['170', 170, '10*3/uL'])
  valid(d.labResults)
})

test('real: Horiba Yumizen H500 (QC sample: no patient; frame numbers restart; 26 KB M records skipped)', { skip }, () => {
  const d = read('senaite_yumizen_h500.astm')
  assert.deepEqual(d.problems, [])
  assert.equal(d.labResults.length, 21)
  const t = at(2023, 3, 29, 11, 6, 31)
  assert.deepEqual(row(byCode(d.labResults, 'MCV')), [null, 'PX440N', 'MCV', '787-2', '90.6', 90.6, 'um3', '84.0 - 94.0', 'N', 'F', t])
  assert.deepEqual(row(byCode(d.labResults, 'PLT')).slice(4, 9), ['308', 308, '10E3/uL', '231 - 291', 'N'])
  assert.deepEqual(row(byCode(d.labResults, 'WBC')).slice(3, 8), ['6690-2', '8.30', 8.3, '10E3/uL', '7.30 - 9.30'])
  assert.deepEqual(d.ignored.map((i) => i.code), ['NEVA_ASTM_COMMENT_DROPPED', 'NEVA_ASTM_COMMENT_DROPPED', ...Array(4).fill('NEVA_ASTM_SKIPPED_RECORD')])
  valid(d.labResults)
})

test('real: outputs that are not ASTM (bioMérieux miniVIDAS, Arkray Spotchem printout) are rejected with the reason', { skip }, () => {
  const vidas = read('non-astm/senaite_mini_vidas.raw')
  assert.deepEqual(vidas.labResults, [])
  assert.deepEqual(vidas.problems.map((p) => [p.code, p.offset]), [['NEVA_ASTM_NOT_ASTM', 0], ['NEVA_ASTM_FRAME_MALFORMED', 0], ['NEVA_ASTM_NOISE', 1]])
  assert.match(vidas.problems[0]!.reason, /^not ASTM: no frame in the input has a valid E1381 form and checksum/)
  assert.match(vidas.problems[1]!.reason, /frame number byte 0x1e is not a digit 0-7/)
  const spotchem = read('non-astm/senaite_spotchem_el.raw')
  assert.deepEqual(spotchem.labResults, [])
  assert.deepEqual(spotchem.problems.map((p) => [p.code, p.offset]), [['NEVA_ASTM_NOT_ASTM', 0], ['NEVA_ASTM_FRAME_MALFORMED', 0]])
  assert.match(spotchem.problems[1]!.reason, /ETX is not followed by two hex checksum digits \(got 0x0a at offset 120\)/)
})

test('real: every frame checksum in the captures verifies', { skip }, () => {
  for (const name of ['senaite_abbott_afinion2.astm', 'senaite_abbott_architect.astm', 'senaite_cobas_c111.astm', 'senaite_cobas_c311.astm', 'senaite_dca_vantage.astm', 'senaite_genexpert.astm', 'senaite_pentra_xlr.astm', 'senaite_sysmex_xn550.astm', 'senaite_sysmex_xp100.astm', 'senaite_yumizen_h500.astm']) {
    const d = read(name)
    assert.ok(!d.problems.some((p) => p.code === 'NEVA_ASTM_CHECKSUM'), name)
    assert.ok(d.labResults.length > 0, name)
  }
})

// Synthetic captures: what a serial sniffer records.
const MESSAGE = 'H|\\^&|||Chem|||||||P|LIS2-A2|20260105080000\rP|1||PAT-1\rO|1|S-1\rR|1|^^^GLU|5.4|mmol/L||N||F||||20260105075900\rR|2|^^^K|4.1|mmol/L||N||F\rL|1|N\r'

test('a capture with both directions (ENQ, ACK, EOT) and mixed trailers reads like one without', () => {
  const frames = frameAstmMessage(MESSAGE).map((f, i) => (i % 2 === 0 ? Buffer.from(f).subarray(0, f.length - 1) : Buffer.concat([Buffer.from(f).subarray(0, f.length - 2), Buffer.from('\n')])))
  const both = Buffer.concat([Uint8Array.of(ENQ, ACK), ...frames.flatMap((f) => [f, Uint8Array.of(ACK)]), Uint8Array.of(EOT)])
  const bare = Buffer.concat(frames)
  const a = decodeAstmCapture(both, OPTIONS)
  const b = decodeAstmCapture(bare, OPTIONS)
  assert.deepEqual(a, b)
  assert.deepEqual(a.problems, [])
  assert.deepEqual(a.labResults.map((r) => [r.patient_id, r.order_id, r.test_code, r.value]), [['PAT-1', 'S-1', 'GLU', '5.4'], ['PAT-1', 'S-1', 'K', '4.1']])
  assert.equal(a.key, undefined)
  // Records with no frames at all (a log of the message) read the same.
  assert.deepEqual(decodeAstmCapture(Buffer.from(MESSAGE.replaceAll('\r', '\r\n')), OPTIONS).labResults, a.labResults)
})

test('a corrupted frame: its record is refused at its offset, never glued to its neighbour; the rest decodes', () => {
  // The GLU record split over three frames (ETB, ETB, ETX); the middle one is corrupted.
  const h = buildFrame(1, Buffer.from('H|\\^&\rP|1||PAT-1\rO|1|S-1\r'), ETX)
  const r1 = buildFrame(2, Buffer.from('R|1|^^^GLU|5'), ETB)
  const r2 = Buffer.from(buildFrame(3, Buffer.from('.4|mmol/L'), ETB))
  r2[4] = r2[4]! ^ 0x01
  const r3 = buildFrame(4, Buffer.from('||N||F\r'), ETX)
  const k = buildFrame(5, Buffer.from('R|2|^^^K|4.1|mmol/L\r'), ETX)
  const l = buildFrame(6, Buffer.from('L|1|N\r'), ETX)
  const input = Buffer.concat([h, r1, r2, r3, k, l])
  const d = decodeAstmCapture(input, OPTIONS)
  assert.deepEqual(d.labResults.map((r) => [r.test_code, r.value, r.unit]), [['K', '4.1', 'mmol/L']])
  const r2At = h.length + r1.length
  assert.deepEqual(d.problems.map((p) => [p.code, p.offset]), [['NEVA_ASTM_CHECKSUM', r2At], ['NEVA_ASTM_FRAME_MALFORMED', r2At + r2.length + 2]])
  assert.match(d.problems[1]!.reason, /frame 4 at offset \d+: its first 7 byte\(s\) continue a record whose frame was refused/)
  // A frame sent twice (a lost ACK) is read once; frame numbers out of order are tolerated.
  const twice = decodeAstmCapture(Buffer.concat([h, k, k, buildFrame(1, Buffer.from('L|1|N\r'), ETX)]), OPTIONS)
  assert.deepEqual(twice.labResults.map((r) => r.test_code), ['K'])
  assert.deepEqual(twice.ignored.map((i) => i.code), ['NEVA_ASTM_REPEATED_FRAME'])
})

test('messages follow each other: a new H ends the one before even without L; problems carry file offsets', () => {
  const one = 'H|\\^&\rP|1||A\rR|1|^^^K|4.0\r'
  const two = 'H|\\^&\rP|1||B\rR|1|^^^K|5.0\rZ|1|bad\rL|1|N\r'
  const input = Buffer.concat([...frameAstmMessage(one), Uint8Array.of(EOT, ENQ), ...frameAstmMessage(two)])
  const d = decodeAstmCapture(input, OPTIONS)
  assert.deepEqual(d.labResults.map((r) => [r.patient_id, r.value]), [['A', '4.0'], ['B', '5.0']])
  assert.equal(d.problems.length, 1)
  const z = input.indexOf('Z|1|bad')
  assert.deepEqual([d.problems[0]!.code, d.problems[0]!.offset], ['NEVA_ASTM_UNKNOWN_RECORD', z])
  assert.match(d.problems[0]!.reason, new RegExp(`record at offset ${z}: type "Z"`))
  // Without EOT between them, the second H still starts a new message (patient A does not leak).
  const joined = decodeAstmCapture(Buffer.concat([...frameAstmMessage(one), ...frameAstmMessage('H|\\^&\rR|1|^^^K|6.0\rL|1|N\r')]), OPTIONS)
  assert.deepEqual(joined.labResults.map((r) => [r.patient_id, r.value]), [['A', '4.0'], [null, '6.0']])
})
