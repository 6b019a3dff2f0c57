// neva fhir export --patient ID [--since T] [--out FILE]: one patient's record as a FHIR R4 Bundle
// (collection), written as it is read. neva fhir export --ndjson DIR --since T --until T: every
// patient's resources of the window, one NDJSON file per type (bulk-data style), streamed a page
// at a time, with a progress line on stderr. Reads the configured ClickHouse (--data DIR: the
// embedded one under DIR) directly: an operator's export, outside the API's grants, audited: every
// patient whose data leaves gets a record_views row (who ran it, from where, the window) before
// the data is written.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { hostname, userInfo } from 'node:os'
import { join } from 'node:path'
import { clickhouseConfigFromEnv, connectClickHouse, PeopleStore } from '@neva/analytics'
import { FHIR_EXPORT_TYPES, fhirNdjson, fhirResources } from '@neva/core'
import { Identifier } from '@neva/contracts'
import { Value } from '@sinclair/typebox/value'
import { parse, UsageError } from '../args.js'

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? Date.parse(value) : NaN
  if (!Number.isFinite(ms)) throw new UsageError(`--${name}: expected YYYY-MM-DD or an ISO time with its zone, got ${JSON.stringify(value)}`)
  return ms
}

async function write(out: WriteStream | NodeJS.WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain')
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    patient: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, ndjson: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' },
  }, true)
  if (positionals[0] !== 'export' || positionals.length !== 1) throw new UsageError('usage: neva fhir export --patient ID [--since T] [--out FILE] | --ndjson DIR --since T --until T')
  const since = time(values.since, 'since')
  const until = time(values.until, 'until')
  if (values.patient !== undefined && !Value.Check(Identifier, values.patient)) throw new UsageError(`--patient: not a patient id: ${JSON.stringify(String(values.patient).slice(0, 80))}`)
  if ((values.patient === undefined) === (values.ndjson === undefined)) throw new UsageError('give --patient ID (a Bundle) or --ndjson DIR (bulk NDJSON), not both')
  if (values.ndjson !== undefined && (since === undefined || until === undefined)) throw new UsageError('--ndjson needs the window: --since T --until T')
  const config = clickhouseConfigFromEnv()
  if (values.data) config.path = join(values.data, 'clickhouse')
  const ch = await connectClickHouse(config)
  const people = new PeopleStore(ch)
  const operator = userInfo().username
  const audited = new Set<string>()
  const window = `${values.since ?? '-'}/${values.until ?? '-'}`
  /** A record view for each patient not yet audited in this export, before their data is written. */
  const audit = async (patients: Iterable<string>, what: string) => {
    const fresh = [...patients].filter((p) => !audited.has(p))
    await people.recordViews(fresh.map((patient_id) => ({
      at: Date.now(), user_id: `os:${operator}`, user_name: operator, via: 'cli', roles: [], patient_id, what,
      address: hostname(), user_agent: `neva fhir export ${window}`.slice(0, 300),
    })))
    for (const p of fresh) audited.add(p)
  }
  const started = Date.now()
  let total = 0
  const progress = (type: string, done = false) => {
    const s = (Date.now() - started) / 1000
    process.stderr.write(`\r${type}: ${total} resources, ${s.toFixed(1)} s, ${Math.round(total / Math.max(s, 0.001))}/s${done ? '\n' : ''}`)
  }
  try {
    if (values.patient !== undefined) {
      await audit([values.patient], 'fhir export bundle')
      const out = values.out ? createWriteStream(values.out) : process.stdout
      await write(out, `{"resourceType":"Bundle","type":"collection","timestamp":"${new Date().toISOString()}","entry":[`)
      for (const type of FHIR_EXPORT_TYPES) {
        for await (const page of fhirResources(ch, type, { patient: values.patient, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) })) {
          await write(out, page.map((r) => `${total++ === 0 ? '' : ','}{"resource":${JSON.stringify(r)}}`).join(''))
          progress(type)
        }
      }
      await write(out, ']}\n')
      if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())))
      progress('bundle', true)
      return 0
    }
    mkdirSync(values.ndjson!, { recursive: true })
    for (const type of FHIR_EXPORT_TYPES) {
      const file = createWriteStream(join(values.ndjson!, `${type}.ndjson`))
      for await (const chunk of fhirNdjson(ch, type, { since: since!, until: until! })) {
        await audit(chunk.patients, 'fhir export ndjson')
        await write(file, chunk.text)
        total += chunk.count
        progress(type)
      }
      await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())))
    }
    progress('ndjson', true)
    process.stderr.write(`audited: ${audited.size} patients (record_views, by os:${operator})\n`)
    return 0
  } finally {
    await ch.close()
  }
}
