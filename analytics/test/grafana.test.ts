// Grafana provisioning (deploy/grafana): the YAML parses and agrees with docker-compose.yml and
// the dashboards; Grafana reads as the analyst user, on the pseudonymous analyst views; every
// panel's SQL, with the ClickHouse plugin's macros expanded as the plugin expands them, runs on
// those views of a migrated embedded ClickHouse.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { connectClickHouse, migrate, openAnalyst } from '@neva/analytics'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const GRAFANA = join(ROOT, 'deploy/grafana')
const PLUGIN = 'grafana-clickhouse-datasource'

interface Target { refId: string; datasource?: { type: string; uid: string }; rawSql: string; format: number }
interface Panel { id: number; title: string; type: string; datasource?: { type: string; uid: string }; targets: Target[] }
interface Dashboard { uid: string; title: string; panels: Panel[] }

const yaml = (file: string) => parseYaml(readFileSync(join(GRAFANA, file), 'utf8')) as Record<string, unknown>
const datasources = (yaml('provisioning/datasources/clickhouse.yaml') as { datasources: Array<{ uid: string; type: string; jsonData: Record<string, unknown> }> }).datasources
const providers = (yaml('provisioning/dashboards/neva.yaml') as { providers: Array<{ type: string; options: { path: string } }> }).providers
const dashboards: Array<[string, Dashboard]> = readdirSync(join(GRAFANA, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(GRAFANA, 'dashboards', f), 'utf8')) as Dashboard])
const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { image?: string; profiles?: string[]; environment?: Record<string, string>; volumes?: string[] }>
}

const path = mkdtempSync(join(tmpdir(), 'neva-grafana-'))
const ch = await connectClickHouse({ path })
await migrate(ch)
// Grafana's session: default database `analyst`, as the analyst user has it on a server.
const analyst = await openAnalyst(ch, { path }, { secret: 'grafana-test' })
after(async () => {
  await analyst.close()
  await ch.close()
})

test('provisioning: one ClickHouse data source on a compose service; dashboards loaded from the mounted folder', () => {
  assert.equal(datasources.length, 1)
  const ds = datasources[0]!
  assert.equal(ds.type, PLUGIN)
  const host = ds.jsonData.host as string
  assert.ok(compose.services[host], `data source host ${host} is not a compose service`)
  // The analyst user that `migrate` creates, on the analyst views: never the main user or the raw tables.
  assert.equal(ds.jsonData.defaultDatabase, 'analyst')
  const analystUser = compose.services.migrate?.environment?.CLICKHOUSE_ANALYST_USER
  assert.ok(analystUser, 'compose creates an analyst user')
  assert.equal(ds.jsonData.username, analystUser)
  assert.notEqual(ds.jsonData.username, compose.services[host]!.environment?.CLICKHOUSE_USER)
  assert.equal((datasources[0] as unknown as { secureJsonData: { password: string } }).secureJsonData.password, '$CLICKHOUSE_ANALYST_PASSWORD')
  assert.match(compose.services.grafana?.environment?.CLICKHOUSE_ANALYST_PASSWORD ?? '', /^\$\{CLICKHOUSE_ANALYST_PASSWORD:\?/)

  const grafana = compose.services.grafana
  assert.ok(grafana, 'compose has a grafana service')
  assert.deepEqual(grafana.profiles, ['grafana'], 'grafana runs only under its profile')
  assert.match(grafana.environment?.GF_INSTALL_PLUGINS ?? '', new RegExp(`(^|,)${PLUGIN}(@|,|$)`))
  const mounts = new Map((grafana.volumes ?? []).map((v) => { const [from, to] = v.split(':'); return [to!, from!] }))
  assert.equal(mounts.get('/etc/grafana/provisioning'), './deploy/grafana/provisioning')
  assert.equal(providers.length, 1)
  assert.equal(providers[0]!.type, 'file')
  assert.equal(mounts.get(providers[0]!.options.path), './deploy/grafana/dashboards', 'the provider reads the folder the dashboards are mounted at')
})

test('dashboards: unique uids and panel ids; every panel and query uses the provisioned data source', () => {
  assert.ok(dashboards.length > 0)
  const uid = datasources[0]!.uid
  assert.equal(new Set(dashboards.map(([, d]) => d.uid)).size, dashboards.length)
  for (const [file, d] of dashboards) {
    assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length, `${file}: duplicate panel id`)
    for (const p of d.panels) {
      assert.deepEqual(p.datasource, { type: PLUGIN, uid }, `${file} "${p.title}"`)
      assert.ok(p.targets.length > 0, `${file} "${p.title}" has no query`)
      for (const t of p.targets) {
        assert.deepEqual(t.datasource, { type: PLUGIN, uid }, `${file} "${p.title}" ${t.refId}`)
        if (p.type === 'timeseries') assert.equal(t.format, 0, `${file} "${p.title}": time series panels ask for the time-series format`)
      }
    }
  }
  const titles = dashboards.flatMap(([, d]) => d.panels.map((p) => p.title))
  for (const wanted of ['Readings per minute by source', 'Triage levels per hour', 'Refused readings by code', 'Lab turnaround by test', 'Devices heard per gateway', 'Alarms per hour by priority', 'Alarms by ward', 'Lab order turnaround by test, lab and priority']) {
    assert.ok(titles.includes(wanted), `a panel "${wanted}"`)
  }
})

// A 6-hour range and the interval Grafana would pick for it on a wide panel.
const FROM_S = 1_700_000_000
const TO_S = FROM_S + 6 * 3600
const INTERVAL_S = 20

/** The plugin's macros (grafana-clickhouse-datasource v4), expanded for the range above. */
function expandMacros(sql: string): string {
  const out = sql
    .replace(/\$__timeFilter_ms\(([^)]+)\)/g, (_, c: string) => `${c} >= fromUnixTimestamp64Milli(${FROM_S * 1000}) AND ${c} <= fromUnixTimestamp64Milli(${TO_S * 1000})`)
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, c: string) => `${c} >= toDateTime(${FROM_S}) AND ${c} <= toDateTime(${TO_S})`)
    .replace(/\$__dateFilter\(([^)]+)\)/g, (_, c: string) => `${c} >= toDate(${FROM_S}) AND ${c} <= toDate(${TO_S})`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, (_, c: string) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${INTERVAL_S} second)`)
    .replace(/\$__fromTime_ms/g, `fromUnixTimestamp64Milli(${FROM_S * 1000})`)
    .replace(/\$__toTime_ms/g, `fromUnixTimestamp64Milli(${TO_S * 1000})`)
    .replace(/\$__fromTime/g, `toDateTime(${FROM_S})`)
    .replace(/\$__toTime/g, `toDateTime(${TO_S})`)
    .replace(/\$__interval_ms/g, String(INTERVAL_S * 1000))
    .replace(/\$__interval_s/g, String(INTERVAL_S))
  assert.doesNotMatch(out, /\$/, `a macro this test does not know: ${out}`)
  return out
}

test('macro expansion covers what the dashboards use', () => {
  assert.equal(expandMacros('WHERE $__timeFilter(t) AND x > $__fromTime'), `WHERE t >= toDateTime(${FROM_S}) AND t <= toDateTime(${TO_S}) AND x > toDateTime(${FROM_S})`)
  assert.throws(() => expandMacros('SELECT $__unknown'), /a macro this test does not know/)
})

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  // No database named: the panel reads what its session's default database, `analyst`, holds.
  assert.doesNotMatch(sql, /\b(neva|default|system)\s*\./, 'a panel names a database')
  return analyst.withReader(async (reader) => {
    const rs = await reader.client.query({ query: expandMacros(sql), format: 'JSONEachRow' })
    return rs.json<Record<string, unknown>>()
  })
}

test('every panel query runs on the analyst views of the migrated schema (empty tables)', async () => {
  for (const [file, d] of dashboards) {
    for (const p of d.panels) {
      for (const t of p.targets) {
        await assert.doesNotReject(rows(t.rawSql), `${file} "${p.title}" ${t.refId}`)
      }
    }
  }
})

test('panels compute what their titles say on a few rows', async () => {
  const at = (s: number) => (FROM_S + s) * 1000
  const insert = (table: string, values: Array<Record<string, unknown>>) =>
    ch.client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: '' } })
  const obs = { gateway_id: 'edge-1', device_id: 'mon-1', patient_id: 'p1', source: 'mqtt', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 97, unit: '%', flags: [] }
  await insert('observations', [
    { ...obs, seq: 1, device_time: at(60), received_time: at(61) },
    { ...obs, seq: 2, device_time: at(62), received_time: at(63) },
    { ...obs, seq: 3, device_id: 'mon-2', source: 'hl7v2', device_time: at(125), received_time: at(126) },
  ])
  const lab = { gateway_id: 'edge-1', device_id: 'lab-1', source: 'astm', order_id: 'o1', patient_id: null, loinc: null, value: '5.1', numeric_value: 5.1, unit: 'mmol/L', reference_range: '', abnormal_flag: null, status: 'F', comments: [] }
  await insert('lab_results', [
    { ...lab, seq: 10, test_code: 'GLU', result_time: at(100), received_time: at(190) },
    { ...lab, seq: 11, test_code: 'GLU', result_time: null, received_time: at(200) },
  ])
  const panel = (title: string) => dashboards.flatMap(([, d]) => d.panels).find((p) => p.title === title)!.targets[0]!.rawSql

  const perMinute = await rows(panel('Readings per minute by source'))
  assert.deepEqual(perMinute.map((r) => [r.source, Number(r.readings)]), [['mqtt', 2], ['hl7v2', 1]])
  const turnaround = await rows(panel('Lab turnaround by test'))
  assert.deepEqual(turnaround.map((r) => [r.test_code, Number(r.results), Number(r.p50_s)]), [['GLU', 1, 90]], 'a result without a result time is left out')
  const devices = await rows(panel('Devices heard per gateway'))
  assert.deepEqual(devices.map((r) => [r.gateway_id, Number(r.devices)]), [['edge-1', 3]])
  const alarm = { gateway_id: 'edge-1', device_id: 'mon-1', source: 'hl7v2', patient_id: 'p1', room: null, bed: '1', facility: null, event_code: 196670, event_name: 'MDC_EVT_LO',
    event_text: null, source_code: null, source_name: null, alert_type: null, state: 'active', phase: null, alarm_state: null, inactivation_state: null, value: null, unit: null,
    limit_low: null, limit_high: null, device_time: null }
  await insert('alarms', [
    { ...alarm, seq: 20, alarm_id: 'mon-1/a', ward: 'ICU', priority: 'high', received_time: at(60) },
    { ...alarm, seq: 21, alarm_id: 'mon-1/a', ward: 'ICU', priority: 'high', received_time: at(70), state: 'inactive' },
    { ...alarm, seq: 22, alarm_id: 'mon-1/b', ward: 'ICU', priority: null, received_time: at(80) },
  ])
  const perHour = await rows(panel('Alarms per hour by priority'))
  assert.deepEqual(perHour.map((r) => [r.priority, Number(r.n_alarms)]).sort(), [['high', 1], ['unknown', 1]])
  const byWard = await rows(panel('Alarms by ward'))
  assert.deepEqual(byWard.map((r) => [r.ward, Number(r.high), Number(r.other), Number(r.alarms), Number(r.updates)]), [['ICU', 1, 1, 2, 3]])

  // Two stat orders of GLU resulted after 10 and 30 min, one routine waiting.
  const order = { patient_id: 'p1', encounter_id: 'e1', site: 'City 1', ward: null, specimen_id: 's', test_loinc: ['2345-7'], test_codes: ['GLU'], diagnosis_code: '', diagnosis_text: '', ordered_by: 'system:his', changed_by: 'system:his' }
  await insert('lab_order_events', [
    { ...order, order_id: 'lo1', priority: 'stat', state: 'ordered', placed_time: at(0), event_time: at(0) },
    { ...order, order_id: 'lo1', priority: 'stat', state: 'resulted', placed_time: at(0), event_time: at(600) },
    { ...order, order_id: 'lo2', priority: 'stat', state: 'ordered', placed_time: at(60), event_time: at(60) },
    { ...order, order_id: 'lo2', priority: 'stat', state: 'resulted', placed_time: at(60), event_time: at(1860) },
    { ...order, order_id: 'lo3', priority: 'routine', state: 'ordered', placed_time: at(60), event_time: at(60) },
  ])
  // No result yet: no turnaround (missing, not zero).
  const orderTurnaround = await rows(panel('Lab order turnaround by test, lab and priority'))
  assert.deepEqual(orderTurnaround.map((r) => [r.test_code, r.lab, r.priority, Number(r.orders), Number(r.resulted), Number(r.waiting), r.p50_min === null ? null : Number(r.p50_min), r.p95_min === null ? null : Number(r.p95_min)]), [
    ['GLU', 'City 1', 'routine', 1, 0, 1, null, null],
    ['GLU', 'City 1', 'stat', 2, 2, 0, 20, 29],
  ])
})
