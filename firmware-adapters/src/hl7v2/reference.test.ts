// This parser against Medplum's on every real message: every field, repetition and component of
// MSH, PID, OBR and OBX, and the values the decoder reads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseHl7 } from './parse.js'
import { decodeHl7WithMedplum, extractHl7Fields } from './reference.js'

const DIR = fileURLToPath(new URL('../../../../shared/fixtures/real/hl7/', import.meta.url))
const skip = existsSync(DIR) ? false : 'no ../shared/fixtures/real/hl7'
const { Hl7Message } = createRequire(import.meta.url)('@medplum/core') as typeof import('@medplum/core')

test('every field, repetition and component of MSH, PID, OBR and OBX agrees with Medplum', { skip }, () => {
  let compared = 0
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.hl7'))) {
    const text = readFileSync(DIR + name, 'latin1')
    const mine = parseHl7(text).message!
    const theirs = Hl7Message.parse(text)
    for (const seg of ['MSH', 'PID', 'OBR', 'OBX']) {
      const a = mine.all(seg)
      const b = theirs.getAllSegments(seg)
      assert.equal(a.length, b.length, `${name} ${seg} count`)
      a.forEach((s, i) => {
        const m = b[i]!
        for (let n = 1; n <= s.fields.length; n++) {
          const where = `${name} ${seg}[${i}]-${n}`
          const field = m.getField(n)?.toString() ?? ''
          assert.equal(s.field(n), field, where)
          if (seg === 'MSH' && n <= 2) continue
          s.repetitions(n).forEach((rep, r) => {
            const components = rep.split(s.encoding.component).length
            for (let c = 1; c <= components; c++) {
              const expected = m.getComponent(n, c, undefined, r)
              // Medplum keeps escape sequences and HL7 nulls ("") as sent; this parser decodes them.
              if (expected.includes('\\') || expected === '""') continue
              assert.equal(s.value(n, c, r + 1), expected, `${where}.${c} rep ${r + 1}`)
              compared++
            }
          })
        }
      })
    }
  }
  assert.ok(compared > 1000, `compared ${compared} components`)
})

test('the values the decoder reads are the values Medplum reads', { skip }, () => {
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.hl7'))) {
    const text = readFileSync(DIR + name, 'latin1')
    const mine = extractHl7Fields(text)
    assert.ok(mine && mine.observations.length > 0, name)
    assert.deepEqual(mine, decodeHl7WithMedplum(text), name)
  }
})

test('Medplum keeps escapes that this parser decodes', () => {
  const text = 'MSH|^~\\&|A\\F\\B|F||||\rPID|||P1^^^H\\T\\X||'
  assert.equal(extractHl7Fields(text)!.sendingApplication, 'A|B')
  assert.equal(decodeHl7WithMedplum(text)!.sendingApplication, 'A\\F\\B')
  assert.equal(decodeHl7WithMedplum('not hl7'), undefined)
  assert.equal(extractHl7Fields('not hl7'), undefined)
})
