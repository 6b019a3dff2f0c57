// The house rule "one error catalog per package", enforced: the edge's codes are declared in
// edge/src/errors.ts, the decoders' in firmware-adapters/src/errors.ts. Outside those files, code
// names a code through its catalog constant (EdgeErrorCode.NEVA_EDGE_…, FirmwareErrorCode.NEVA_…),
// never as a string literal; every code named anywhere (code, tests, docs) exists; every code in
// a catalog has a meaning, is used, and is listed in docs/errors.md.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { FIRMWARE_ERRORS } from '@neva/firmware-adapters'
import { EDGE_ERRORS } from '../src/errors.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CATALOGS = [
  { file: 'edge/src/errors.ts', src: 'edge/src', constant: 'EdgeErrorCode', codes: EDGE_ERRORS as Record<string, { message: string }>, prefix: /^NEVA_EDGE_/ },
  { file: 'firmware-adapters/src/errors.ts', src: 'firmware-adapters/src', constant: 'FirmwareErrorCode', codes: Object.fromEntries(Object.entries(FIRMWARE_ERRORS).map(([c, m]) => [c, { message: m }])), prefix: /^NEVA_(DECODE|HL7V2|ASTM|ECG|OPCUA|OXIMETER|WFDB|CTG)_/ },
]
/** NEVA_EDGE_* names that are environment variables, not error codes. */
const NOT_CODES = new Set(['NEVA_EDGE_API_TOKEN', 'NEVA_EDGE_TOKEN', 'NEVA_USER_PASSWORD'])

function files(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...files(path, keep))
    else if (keep(path)) out.push(path)
  }
  return out
}
const source = (path: string) => path.endsWith('.ts') && !path.endsWith('.test.ts')

/** A string literal ('…', "…" or `…`) that is a whole error code. */
export function codeLiterals(text: string): Array<{ line: number; code: string }> {
  return [...text.matchAll(/(['"`])(NEVA_[A-Z0-9_]+)\1/g)].map((m) => ({ line: text.slice(0, m.index).split('\n').length, code: m[2]! }))
}

test('the scanner sees a code written as a string literal, and not one named through its catalog', () => {
  const added = ['NEVA', 'EDGE', 'NEW', 'THING'].join('_') // not written whole: the next test would see it
  assert.deepEqual(codeLiterals(`x\nthrow new E('${added}')\nconst y = "NEVA_DECODE_SCHEMA"`), [{ line: 2, code: added }, { line: 3, code: 'NEVA_DECODE_SCHEMA' }])
  assert.deepEqual(codeLiterals("f(EdgeErrorCode.NEVA_EDGE_OUTBOX_FULL, 'refused: NEVA_EDGE_OUTBOX_FULL later')"), [])
})

test('outside its catalog, no package code names an error code as a string literal', () => {
  const found: string[] = []
  // The packages without a catalog of their own (the CLI, simulators, contracts, triage) name the
  // edge's or the decoders' codes through their constants too.
  for (const dir of ['edge/src', 'firmware-adapters/src', 'cli/src', 'simulators/src', 'contracts/src', 'triage/src']) {
    for (const path of files(dir, source)) {
      if (CATALOGS.some((c) => c.file === path)) continue
      for (const { line, code } of codeLiterals(readFileSync(join(ROOT, path), 'utf8'))) {
        if (!code.endsWith('_') && !NOT_CODES.has(code)) found.push(`${path}:${line} '${code}'`)
      }
    }
  }
  assert.deepEqual(found, [], `write these as EdgeErrorCode.… / FirmwareErrorCode.…, adding the code to the catalog if it is new:\n${found.join('\n')}`)
})

test('every code of the edge or the decoders named anywhere (code, tests, docs) is in its catalog', () => {
  const texts = [
    ...['edge', 'firmware-adapters', 'contracts', 'simulators', 'triage', 'e2e', 'cli', 'analytics', 'core'].flatMap((dir) => files(dir, (p) => /\.(ts|md)$/.test(p))),
    ...files('docs', (p) => p.endsWith('.md')),
    'README.md',
  ]
  const unknown: string[] = []
  for (const path of texts) {
    for (const m of readFileSync(join(ROOT, path), 'utf8').matchAll(/NEVA_[A-Z0-9_]+/g)) {
      const code = m[0]
      if (code.endsWith('_') || NOT_CODES.has(code)) continue // a prefix (NEVA_EDGE_MQTT_*) or an environment variable
      const catalog = CATALOGS.find((c) => c.prefix.test(code))
      if (catalog && !(code in catalog.codes)) unknown.push(`${path}: ${code} (not in ${catalog.file})`)
    }
  }
  assert.deepEqual(unknown, [])
})

test('every catalog code has a one-line meaning and is used by its package', () => {
  const code = ['edge/src', 'firmware-adapters/src'].flatMap((dir) => files(dir, source)).filter((p) => !CATALOGS.some((c) => c.file === p)).map((p) => readFileSync(join(ROOT, p), 'utf8')).join('\n')
  for (const catalog of CATALOGS) {
    for (const [name, { message }] of Object.entries(catalog.codes)) {
      assert.match(name, catalog.prefix, `${catalog.file}: ${name}`)
      assert.ok(message.length >= 10 && !message.includes('\n'), `${catalog.file}: ${name} needs a one-line meaning`)
      assert.ok(code.includes(`${catalog.constant}.${name}`), `${catalog.file}: ${name} is declared but no code gives it (${catalog.constant}.${name})`)
    }
  }
})

test('docs/errors.md lists every code with its meaning', () => {
  const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
  const missing = CATALOGS.flatMap((c) => Object.entries(c.codes).filter(([name, { message }]) => !doc.includes(`| \`${name}\` |`) || !doc.includes(message)).map(([name]) => `${name} (${c.file})`))
  assert.deepEqual(missing, [], 'docs/errors.md is out of date: add these codes to its tables, with the meaning from the catalog')
})
