// Every number a monitor sends comes out of `neva decode` with its code: the real HL7 captures
// (../shared/fixtures/real/hl7, skipped when absent) and variants of them made here (values
// changed, re-framed with MLLP, LF or CRLF line ends), counted against a plain OBX counter that
// shares nothing with the decoder.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ALARM_PRIORITY_CODES, ALARM_TYPE_CODES } from '@neva/contracts'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const DIR = resolve(ROOT, '../shared/fixtures/real/hl7')
const skip = !existsSync(DIR) && 'no ../shared/fixtures/real/hl7 here'
const NEVA = join(ROOT, 'bin/neva')
const neva = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
  execFile(NEVA, args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
})

// An infusion pump's event (ORU^R42) carries its numbers in named fields: each field's MDC code
// (IEEE 11073-10101), so that the counter can find them as it finds a coded reading's.
const INFUSION_FIELDS: Record<string, number> = {
  rate: 157784, concentration: 157760, dose_rate: 157924, volume_infused: 157993, volume_to_be_infused: 157884, volume_remaining: 157872,
}

interface Numeric { code: string; value: number }

/** The numeric OBX of a message, read with string splitting only: OBX-2 NM or SN, OBX-5 a number. */
function numericObx(message: string): Numeric[] {
  const out: Numeric[] = []
  for (const line of message.split(/\r\n|\r|\n/)) {
    const f = line.split('|')
    if (f[0] !== 'OBX' || (f[2] !== 'NM' && f[2] !== 'SN')) continue
    const raw = f[2] === 'SN' ? (f[5] ?? '').split('^')[1] ?? '' : f[5] ?? ''
    if (raw.trim() === '' || Number.isNaN(Number(raw))) continue
    out.push({ code: (f[3] ?? '').split('^')[0]!, value: Number(raw) })
  }
  return out
}

/** Whether one decoded record carries this code and value. */
function carries(r: Record<string, unknown>, n: Numeric): boolean {
  const codes = [r.mdc_code, r.loinc, r.test_code, r.source_code].filter((c) => c !== undefined && c !== null).map(String)
  const values = [r.value, r.numeric_value].filter((v) => typeof v === 'number' || (typeof v === 'string' && v !== '')).map(Number)
  return codes.includes(n.code) && values.some((v) => Math.abs(v - n.value) < 1e-9)
}

/** How many of the numbers are found in the records, each record used once per number. */
function matched(numbers: Numeric[], records: Record<string, unknown>[]): { found: number; missing: Numeric[] } {
  const used = new Map<Record<string, unknown>, number>()
  const missing: Numeric[] = []
  for (const n of numbers) {
    const r = records.find((rec) => carries(rec, n) && (used.get(rec) ?? 0) === 0)
    if (r) used.set(r, 1)
    else missing.push(n)
  }
  return { found: numbers.length - missing.length, missing }
}

/** Small deterministic PRNG: a variant is the same on every run. */
function prng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

/** The message with every numeric OBX-5 changed (scaled down a little, same decimals: still plausible). */
function changeValues(message: string, random: () => number): string {
  return message.split('\r').map((line) => {
    const f = line.split('|')
    if (f[0] !== 'OBX' || f[2] !== 'NM' || !/^[+-]?\d+(\.\d+)?$/.test((f[5] ?? '').trim())) return line
    const raw = f[5]!.trim()
    const decimals = raw.includes('.') ? raw.split('.')[1]!.length : 0
    f[5] = (Number(raw) * (0.85 + random() * 0.14)).toFixed(decimals)
    return f.join('|')
  }).join('\r')
}

/** Decoded records, an infusion event spread into one record per number it carries. */
const records = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).flatMap((r) => {
  if (!('event_id' in r) || !('drug' in r)) return [r]
  return Object.entries(INFUSION_FIELDS).filter(([f]) => typeof r[f] === 'number').map(([f, code]) => ({ mdc_code: code, value: r[f] }))
})
const mllp = (m: string) => `\x0b${m.replace(/\r?$/, '\r')}\x1c\r`

test('neva decode: every numeric OBX of the real captures and of re-framed variants with changed values comes out with its code and value', { skip, timeout: 300_000 }, async () => {
  const originals = readdirSync(DIR).filter((f) => f.endsWith('.hl7')).sort().map((f) => readFileSync(join(DIR, f), 'latin1').replace(/[\r\n]+$/, ''))
  const kept = originals
  assert.ok(kept.length >= 10, 'the real captures are there')
  const random = prng(16)
  const variants = [kept, kept.map((m) => changeValues(m, random)), kept.map((m) => changeValues(m, random)), kept.map((m) => changeValues(m, random))]
  const tmp = mkdtempSync(join(tmpdir(), 'neva-codes-'))
  // The same messages as a monitor frames them (MLLP), and as files with LF or CRLF line ends.
  const framings: Record<string, (ms: string[]) => string> = {
    mllp: (ms) => ms.map(mllp).join(''),
    lf: (ms) => ms.map((m) => m.replaceAll('\r', '\n')).join('\n') + '\n',
    crlf: (ms) => ms.map((m) => m.replaceAll('\r', '\r\n')).join('\r\n') + '\r\n',
  }
  let total = 0
  let found = 0
  for (const [name, frame] of Object.entries(framings)) {
    const messages = variants.flat()
    const file = join(tmp, `${name}.hl7`)
    writeFileSync(file, frame(messages), 'latin1')
    const { stdout, stderr } = await neva(['decode', '--protocol', 'hl7v2', '--received-time', String(Date.UTC(2026, 0, 1)), file])
    const numbers = messages.flatMap(numericObx)
    const m = matched(numbers, records(stdout))
    total += numbers.length
    found += m.found
    assert.deepEqual(m.missing, [], `${name}: ${m.found} of ${numbers.length} numbers out; stderr:\n${stderr}`)
  }
  // 4 sets (originals and 3 variants) of 63 numeric OBX, the pump event's included, in 3 framings.
  assert.equal(found, total)
  assert.ok(total >= 3 * 4 * 50, `${total} numbers counted`)
})

test('the independent counter agrees with what a person counts in one capture', { skip }, () => {
  const philips = readFileSync(join(DIR, 'ihe_pcd_tf_E1.1_philips_pcd01_physio_monitor.hl7'), 'latin1')
  // NIBP sys/dia/mean, HR, QT, QTc, RR: the ECG rhythm (ST) and the hierarchy entries are not numbers.
  assert.deepEqual(numericObx(philips).map((n) => `${n.code}=${n.value}`), ['150021=117', '150022=82', '150023=90', '147842=80', '147232=360', '147236=416', '151562=30'])
})

// Text and coded OBX (ST, TX, CWE, CE, CNE): each comes out with its code and words, as a text
// observation (a rhythm, a pump's drug library), a lab result's value, or as the field of the
// alarm or infusion event it is an attribute of. The one exception is the Dräger watchdog: its
// attributes say "the alert reporter is alive" (a heartbeat the gateway supervises, not a record).
const ALARM_FIELDS: Record<string, (r: Record<string, unknown>, code: string, text: string) => boolean> = {
  68480: (r, code) => String(r.source_code) === code || r.source_name === code,
  68481: (r, _c, text) => r.phase === text,
  68482: (r, _c, text) => r.alarm_state === text,
  68483: (r, _c, text) => r.inactivation_state === text,
  68484: (r, _c, text) => r.priority === ALARM_PRIORITY_CODES[text],
  68485: (r, _c, text) => r.alert_type === ALARM_TYPE_CODES[text],
}
const INFUSION_TEXT: Record<string, (r: Record<string, unknown>, code: string, text: string) => boolean> = {
  68487: (r, code) => String(r.event_code) === code,
  68488: (r, _c, text) => text.startsWith(`${String(r.channel)}.`),
  184519: (r, _c, text) => r.pump_state === text,
  158005: (r, _c, text) => r.program_state === text,
  158008: (r, _c, text) => r.delivery_mode === text,
  158012: (r, _c, text) => r.channel_label === text,
  184514: (r, _c, text) => r.drug === text,
}

interface Text { what: string; code: string; valueCode: string; text: string }

/** The text and coded OBX of a message that carry a value, read with string splitting only. */
function textObx(message: string): Text[] {
  if (message.includes('MDC_EVT_ACTIVE')) return []
  const out: Text[] = []
  for (const line of message.split(/\r\n|\r|\n/)) {
    const f = line.split('|')
    if (f[0] !== 'OBX' || !['ST', 'TX', 'CWE', 'CE', 'CNE'].includes(f[2] ?? '') || (f[5] ?? '').trim() === '') continue
    const c = (f[5] ?? '').split('^')
    const coded = f[2] !== 'ST' && f[2] !== 'TX'
    out.push({ what: `OBX ${f[1]} ${f[3]}`, code: (f[3] ?? '').split('^')[0]!, valueCode: coded ? c[0]! : '', text: coded ? (c[1] || c[8] || c[0])! : f[5]!.trim() })
  }
  return out
}

function carriesText(r: Record<string, unknown>, t: Text): boolean {
  if (r.value_text !== undefined) return String(r.mdc_code) === t.code && r.value_text === t.text && (t.valueCode === '' || r.value_code === t.valueCode)
  if ('test_code' in r) return r.test_code === t.code && r.value === t.text
  if ('alarm_id' in r) {
    const field = ALARM_FIELDS[t.code]
    // The event itself: its code (CWE's value, else OBX-3) and its words.
    return field ? field(r, t.valueCode || t.text, t.text) : (String(r.event_code) === (t.valueCode || t.code) && (r.event_text === t.text || r.event_name === t.text))
  }
  if ('event_id' in r) return INFUSION_TEXT[t.code]?.(r, t.valueCode, t.text) ?? false
  return false
}

/** The message with the words of free-text OBX changed (a rhythm, a drug, an alarm's text): held-out values. */
function changeWords(message: string, n: number): string {
  return message.split('\r').map((line) => {
    const f = line.split('|')
    const code = (f[3] ?? '').split('^')[0] ?? ''
    if (f[0] !== 'OBX' || f[2] !== 'ST' || (f[5] ?? '').trim() === '' || ALARM_FIELDS[code] || code === '68488' || /^\d+(\.\d+)*$/.test(f[5]!)) return line
    f[5] = `${f[5]!.trim()} v${n}`
    return f.join('|')
  }).join('\r')
}

test('neva decode: every text and coded OBX of the real captures and of variants with changed words comes out with its code and words', { skip, timeout: 300_000 }, async () => {
  const originals = readdirSync(DIR).filter((f) => f.endsWith('.hl7')).sort().map((f) => readFileSync(join(DIR, f), 'latin1').replace(/[\r\n]+$/, ''))
  const messages = [...originals, ...originals.map((m) => changeWords(m, 1)), ...originals.map((m) => changeWords(m, 2))]
  const tmp = mkdtempSync(join(tmpdir(), 'neva-text-'))
  const file = join(tmp, 'all.hl7')
  writeFileSync(file, messages.map(mllp).join(''), 'latin1')
  const { stdout, stderr } = await neva(['decode', '--protocol', 'hl7v2', '--received-time', String(Date.UTC(2026, 0, 1)), file])
  const out = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  const texts = messages.flatMap(textObx)
  const missing = texts.filter((t) => !out.some((r) => carriesText(r, t)))
  assert.deepEqual(missing, [], `${texts.length - missing.length} of ${texts.length} out; stderr:\n${stderr}`)
  // 3 sets of the 29 text OBX with a value (the watchdog's 7 left out): rhythm, alarm facets, pump states, lab flags.
  assert.equal(texts.length, 3 * 29)
  // Text observations never carry a number.
  for (const r of out) if (r.value_text !== undefined) assert.equal(r.value, undefined)
})
