// Fix-ups of tap's coverage files (.tap/coverage/*.json, one per process or worker thread) before
// c8 reads them; scripts/run-tests.mjs runs both, docs/testing.md says why.
import { readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'

// tsx's inline source maps say `sourcesContent: [null]`, which c8 takes as an empty original
// file (every file then reads 100 % on one line): drop them, and c8 reads the .ts from disk.
export function fixSourceMaps(dir, entries) {
  for (const f of entries) {
    const file = join(dir, f)
    const cov = JSON.parse(readFileSync(file, 'utf8'))
    let changed = false
    for (const sm of Object.values(cov['source-map-cache'] ?? {})) {
      if (sm?.data?.sourcesContent && sm.data.sourcesContent.every((c) => c == null)) { delete sm.data.sourcesContent; changed = true }
    }
    if (changed) writeFileSync(file, JSON.stringify(cov))
  }
}

// One source file can run as two different scripts: tsx makes ESM of it where it is imported
// (the test processes, the CLI) and CommonJS where it is require()d, which is how piscina loads
// its worker file (edge's triage scorer, in worker threads, which tap's processinfo measures too)
// and so everything that file imports: @neva/triage and @neva/contracts among them. c8 merges
// coverage by URL, offset by offset, as if every copy were the same script, and maps the sum
// through whichever copy's source map it read last, in the order of a directory listing of
// files named by random uuids. The figures then change from run to run with identical tests
// (triage's lines read 53 % or 71 % from the same files, read in two orders), and the CommonJS
// copy's helpers and export getters count as functions that never ran. So each source file's
// coverage is kept from one transpilation only: the one most processes ran (the ESM one), ties
// broken by the text of its key. A file that ran one way only is kept as it is.
// Returns how many source files had two transpilations and how many records were dropped.
export function oneTranspilation(dir, entries) {
  const variantOf = (cov, s) => {
    const sm = cov['source-map-cache']?.[s.url]
    const len = Math.max(0, ...s.functions.map((fn) => fn.ranges[0]?.endOffset ?? 0))
    return `${len}:${sm?.data?.mappings ? createHash('sha1').update(sm.data.mappings).digest('hex') : '-'}`
  }
  const variants = new Map() // url -> Map(variant -> number of coverage files)
  const seen = new Map() // coverage file -> [url, variant][]
  for (const f of entries) {
    const file = join(dir, f)
    const cov = JSON.parse(readFileSync(file, 'utf8'))
    const list = cov.result.map((s) => [s.url, variantOf(cov, s)])
    seen.set(file, list)
    for (const [url, v] of list) {
      if (!variants.has(url)) variants.set(url, new Map())
      const m = variants.get(url)
      m.set(v, (m.get(v) ?? 0) + 1)
    }
  }
  const keep = new Map()
  for (const [url, m] of variants) {
    if (m.size > 1) keep.set(url, [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0])
  }
  let dropped = 0
  for (const [file, list] of seen) {
    if (!list.some(([url, v]) => keep.has(url) && keep.get(url) !== v)) continue
    const cov = JSON.parse(readFileSync(file, 'utf8'))
    cov.result = cov.result.filter((s) => {
      if (!keep.has(s.url) || keep.get(s.url) === variantOf(cov, s)) return true
      delete cov['source-map-cache']?.[s.url]
      dropped++
      return false
    })
    writeFileSync(file, JSON.stringify(cov))
  }
  return { files: keep.size, dropped }
}
