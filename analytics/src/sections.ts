// Several reads in one round trip. Each read (a "section") is a constant SELECT with bound
// parameters and a function from its rows to what the caller wants; `readSections` sends them as
// one UNION ALL of rows of one shape (section, position, the row as JSONEachRow text). With
// embedded ClickHouse every query costs a fixed 10–20 ms whatever it reads and queries barely
// overlap, so a page of a dozen reads pays that once instead of a dozen times.
import type { ClickHouse } from './connection.js'

export type SectionRow = Record<string, unknown>

export interface Section<T> {
  query: string
  params: Record<string, unknown>
  map: (rows: SectionRow[]) => T
}

type Results<S extends Record<string, Section<unknown>>> = { [K in keyof S]: S[K] extends Section<infer T> ? T : never }

/** One read on its own (what a store method does when it is not part of a page). */
export async function readSection<T>(ch: ClickHouse, s: Section<T>): Promise<T> {
  const rs = await ch.client.query({ query: s.query, query_params: s.params, format: 'JSONEachRow' })
  return s.map(await rs.json<SectionRow>())
}

const NAME = /^[a-z][a-z0-9_]*$/

/** Parameters renamed per section ({p:String} → {s3_p:String}) so sections binding the same name differently do not collide. */
function prefixed(query: string, prefix: string): string {
  return query.replace(/\{([A-Za-z_][A-Za-z0-9_]*):/g, (_, name: string) => `{${prefix}${name}:`)
}

/**
 * Every section in one query. Each row carries its section and its position in that section's
 * result (rowNumberInAllBlocks over the section's own ordered, single stream), so each section's
 * rows come back in its own ORDER BY whatever order UNION ALL interleaves them in.
 */
export async function readSections<S extends Record<string, Section<unknown>>>(ch: ClickHouse, sections: S): Promise<Results<S>> {
  const names = Object.keys(sections)
  const params: Record<string, unknown> = {}
  const parts = names.map((name, i) => {
    if (!NAME.test(name)) throw new Error(`section name ${JSON.stringify(name)}`)
    const s = sections[name]!
    const prefix = `s${i}_`
    for (const [k, v] of Object.entries(s.params)) params[prefix + k] = v
    return `SELECT ${i} AS s, rowNumberInAllBlocks() AS n, formatRowNoNewline('JSONEachRow', *) AS j FROM (${prefixed(s.query, prefix)})`
  })
  const rs = await ch.client.query({ query: parts.join('\nUNION ALL\n'), query_params: params, format: 'JSONEachRow' })
  const rows = await rs.json<{ s: number | string; n: number | string; j: string }>()
  const bySection: Array<Array<[number, SectionRow]>> = names.map(() => [])
  for (const r of rows) bySection[Number(r.s)]!.push([Number(r.n), JSON.parse(r.j) as SectionRow])
  const out: Record<string, unknown> = {}
  names.forEach((name, i) => {
    const ordered = bySection[i]!.sort((a, b) => a[0] - b[0]).map(([, row]) => row)
    out[name] = sections[name]!.map(ordered)
  })
  return out as Results<S>
}
