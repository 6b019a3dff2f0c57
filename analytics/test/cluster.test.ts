// Cluster DDL (analytics/src/cluster.ts) and the `cluster` compose profile. Every rendered
// statement is parsed by the embedded ClickHouse (formatQuery); the CREATE statements are also
// executed, without ON CLUSTER, on an embedded engine configured with macros, a cluster `neva` and
// an in-memory Keeper (`testkeeper`). The compose file and the XML server configs are checked for
// consistency with each other (no Docker here).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Session } from 'chdb'
import { parse as parseYaml } from 'yaml'
import { loadMigrations, renderClusterMigrations, renderClusterSql, clusterPreamble, shardingKey, type Migration } from '@neva/analytics'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const OPTIONS = { cluster: 'neva', database: 'neva' }
const rendered = renderClusterMigrations(loadMigrations(), OPTIONS)
const all = [...clusterPreamble(OPTIONS), ...rendered.flatMap((m) => m.statements)]

// An embedded server that can hold replicated tables: macros, the cluster, an in-memory Keeper.
const dir = mkdtempSync(join(tmpdir(), 'neva-cluster-'))
writeFileSync(join(dir, 'config.xml'), `<clickhouse>
  <zookeeper><implementation>testkeeper</implementation></zookeeper>
  <macros><shard>01</shard><replica>r1</replica></macros>
  <remote_servers><neva><shard><replica><host>localhost</host><port>9000</port></replica></shard></neva></remote_servers>
</clickhouse>`)
const session = new Session(join(dir, 'data'), { connectionArgs: [`--config-file=${join(dir, 'config.xml')}`] })
// Replicated tables are dropped before the session closes: clickhouse-local otherwise waits on
// their replication threads at shutdown and the process never exits.
after(() => {
  session.query('DROP DATABASE IF EXISTS neva SYNC')
  session.cleanup()
})

const migration = (statements: string[]): Migration[] => [{ version: 9, name: 'test', checksum: '', statements }]
const stripOnCluster = (sql: string) => sql.replace(' ON CLUSTER `neva`', '')

test('every rendered statement is valid ClickHouse and carries ON CLUSTER (a backfill runs once, through the Distributed tables)', () => {
  for (const sql of all) {
    const formatted = session.queryBind('SELECT formatQuery({q:String})', { q: sql }, 'TSVRaw')
    if (sql.startsWith('INSERT INTO')) continue
    assert.match(formatted, /ON CLUSTER neva/, `formatQuery accepts: ${sql.slice(0, 80)}`)
  }
})

test('each table becomes a replicated local table and a Distributed table under its name', () => {
  const creates = rendered.flatMap((m) => m.statements).filter((s) => s.startsWith('CREATE TABLE'))
  const source = loadMigrations().flatMap((m) => m.statements).filter((s) => s.startsWith('CREATE TABLE'))
  assert.equal(creates.length, source.length * 2)
  for (let k = 0; k < creates.length; k += 2) {
    const [local, dist] = [creates[k]!, creates[k + 1]!]
    const name = /CREATE TABLE IF NOT EXISTS `neva`\.`(\w+)_local` ON CLUSTER `neva`/.exec(local)?.[1]
    assert.ok(name, local.slice(0, 80))
    assert.match(local, new RegExp(`ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${name}_local', '\\{replica\\}'`))
    assert.doesNotMatch(local, /non_replicated_deduplication_window/)
    assert.match(dist, new RegExp(`^CREATE TABLE IF NOT EXISTS \`neva\`\\.\`${name}\` ON CLUSTER \`neva\`\\nAS \`neva\`\\.\`${name}_local\`\\nENGINE = Distributed\\(\`neva\`, \`neva\`, \`${name}_local\`, `))
  }
  const sql = renderClusterSql(loadMigrations(), OPTIONS)
  assert.match(sql, /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/ingest_batches_local', '\{replica\}', received_at\)/)
  assert.match(sql, /ORDER BY \(patient_id, device_time, name, gateway_id, seq\)\nSETTINGS replicated_deduplication_window = 10000;/)
  assert.match(sql, /PARTITION BY toYYYYMM\(device_time\)/)
  assert.match(sql, /Distributed\(`neva`, `neva`, `observations_local`, cityHash64\(patient_id\)\)/)
  assert.match(sql, /Distributed\(`neva`, `neva`, `lab_results_local`, if\(isNull\(patient_id\), cityHash64\(gateway_id, seq\), cityHash64\(assumeNotNull\(patient_id\)\)\)\)/)
  assert.match(sql, /Distributed\(`neva`, `neva`, `ingest_batches_local`, cityHash64\(gateway_id, batch_id\)\)/)
  assert.match(sql, /Distributed\(`neva`, `neva`, `rejected_readings_local`, cityHash64\(gateway_id, seq\)\)/)
})

test('ADD COLUMN goes to the local table first, then to the distributed one', () => {
  const m3 = rendered.find((m) => m.version === 3)!
  assert.equal(m3.statements.length, 6)
  assert.match(m3.statements[0]!, /^ALTER TABLE `neva`\.`triage_results_local` ON CLUSTER `neva` ADD COLUMN IF NOT EXISTS model_level /)
  assert.match(m3.statements[1]!, /^ALTER TABLE `neva`\.`triage_results` ON CLUSTER `neva` ADD COLUMN IF NOT EXISTS model_level /)
  const storageOnly = renderClusterMigrations(migration(['CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a', 'ALTER TABLE t MODIFY TTL now()']), OPTIONS)[0]!
  assert.deepEqual(storageOnly.statements.slice(2), ['ALTER TABLE `neva`.`t_local` ON CLUSTER `neva` MODIFY TTL now()'])
})

test('the local and distributed tables are created on an embedded server with Keeper and macros', () => {
  session.query('CREATE DATABASE IF NOT EXISTS neva')
  const altered = new Set<string>()
  for (const sql of all) {
    // Replicated tables on clickhouse-local stay read-only (no replication threads), so the
    // ALTERs on local tables are checked by formatQuery only — and so are the materialized views
    // that read a column those ALTERs add.
    const alter = /^ALTER TABLE `neva`\.`(\w+_local)`/.exec(sql)
    if (alter) {
      altered.add(alter[1]!)
      continue
    }
    if (sql.startsWith('CREATE MATERIALIZED VIEW') && [...altered].some((t) => sql.includes(`\`neva\`.\`${t}\``))) continue
    // A backfill writes through the Distributed tables to the shards: checked by formatQuery only.
    if (sql.startsWith('INSERT INTO')) continue
    session.query(stripOnCluster(sql))
  }
  const tables = JSON.parse(session.query("SELECT groupArray((name, engine)) AS t FROM (SELECT name, engine FROM system.tables WHERE database = 'neva' ORDER BY name)", 'JSON')) as { data: Array<{ t: Array<[string, string]> }> }
  const engines = new Map(tables.data[0]!.t)
  for (const name of ['observations', 'triage_results', 'rejected_readings', 'ingest_batches', 'triage_models', 'triage_model_events', 'lab_results', 'waveforms']) {
    assert.equal(engines.get(name), 'Distributed', name)
    assert.match(engines.get(`${name}_local`) ?? '', /^Replicated\w*MergeTree$/, `${name}_local`)
  }
  assert.equal(engines.get('schema_migrations'), 'ReplicatedReplacingMergeTree')
  // The engine resolved {database} and accepted {shard}/{replica} (it refuses a path whose macros
  // the server does not define). system.replicas is not queried: it waits on replication threads
  // that clickhouse-local does not run.
  const engine = session.query("SELECT engine_full FROM system.tables WHERE database = 'neva' AND name = 'observations_local'", 'TSVRaw')
  assert.match(engine, /^ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/neva\/observations_local', '\{replica\}'\)/)
  const dist = session.query("SELECT engine_full FROM system.tables WHERE database = 'neva' AND name = 'observations'", 'TSVRaw')
  assert.match(dist, /^Distributed\('?neva'?, '?neva'?, '?observations_local'?, cityHash64\(patient_id\)\)/)
  const cols = session.query("SELECT name FROM system.columns WHERE database = 'neva' AND table = 'triage_results' AND name LIKE 'model_%' ORDER BY position", 'TSVRaw')
  assert.deepEqual(cols.trim().split('\n'), ['model_version', 'model_level', 'model_probabilities', 'model_drivers', 'model_risk', 'model_risk_model', 'model_risk_inputs', 'model_risk_sparse'])
})

test('sharding keys: a patient on one shard, identity otherwise, merge engines by their ORDER BY', () => {
  const cols = (entries: Array<[string, string]>) => new Map(entries)
  assert.equal(shardingKey({ name: 'x', engine: 'MergeTree', columns: cols([['patient_id', 'String']]), orderBy: '(a, b)' }), 'cityHash64(patient_id)')
  assert.equal(shardingKey({ name: 'x', engine: 'MergeTree', columns: cols([['patient_id', 'LowCardinality(Nullable(String))']]), orderBy: '(a, b)' }), 'if(isNull(patient_id), cityHash64(a, b), cityHash64(assumeNotNull(patient_id)))')
  assert.equal(shardingKey({ name: 'x', engine: 'ReplacingMergeTree', columns: cols([['patient_id', 'String']]), orderBy: '(id, v)' }), 'cityHash64(id, v)', 'rows to be replaced must meet on one shard')
  assert.equal(shardingKey({ name: 'x', engine: 'ReplacingMergeTree', columns: cols([['patient_id', 'String']]), orderBy: '(patient_id, t)' }), 'cityHash64(patient_id)')
  assert.equal(shardingKey({ name: 'x', engine: 'MergeTree', columns: cols([['gateway_id', 'String'], ['seq', 'UInt64']]), orderBy: 't' }), 'cityHash64(gateway_id, seq)')
  assert.throws(() => shardingKey({ name: 'x', engine: 'MergeTree', columns: cols([]), orderBy: 'tuple()' }), /x: no ORDER BY key to shard by/)
  const overridden = renderClusterMigrations(migration(['CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a']), { ...OPTIONS, shardingKeys: { t: 'xxHash64(a)' } })
  assert.match(overridden[0]!.statements[1]!, /Distributed\(`neva`, `neva`, `t_local`, xxHash64\(a\)\)$/)
})

test('other MergeTree engines keep their arguments; settings for non-replicated tables are dropped', () => {
  const [m] = renderClusterMigrations(migration([
    'CREATE TABLE s (k String, n UInt64, sign Int8, v UInt32) ENGINE = VersionedCollapsingMergeTree(sign, v) ORDER BY k SETTINGS index_granularity = 4096, non_replicated_deduplication_window = 5, replicated_deduplication_window = 7',
    "CREATE TABLE `q` (k String COMMENT 'a;b', INDEX ix k TYPE bloom_filter GRANULARITY 1) ENGINE = SummingMergeTree((n)) PRIMARY KEY k ORDER BY (k) TTL now() + INTERVAL 1 DAY",
  ]), OPTIONS)
  const [s, , q] = m!.statements
  assert.match(s!, /ENGINE = ReplicatedVersionedCollapsingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/s_local', '\{replica\}', sign, v\)/)
  assert.match(s!, /SETTINGS index_granularity = 4096, replicated_deduplication_window = 7$/)
  assert.match(q!, /ReplicatedSummingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/q_local', '\{replica\}', \(n\)\)\nPRIMARY KEY k\nORDER BY \(k\)\nTTL now\(\) \+ INTERVAL 1 DAY$/)
  assert.match(q!, /INDEX ix k TYPE bloom_filter GRANULARITY 1/)
  for (const sql of m!.statements) session.queryBind('SELECT formatQuery({q:String})', { q: sql }, 'TSVRaw')
})

test('a materialized view writing TO a table reads and writes the local tables on every shard', () => {
  const [m] = renderClusterMigrations(migration([
    'CREATE TABLE src (patient_id String, v Float64) ENGINE = MergeTree ORDER BY patient_id',
    'CREATE TABLE agg (patient_id String, n UInt64) ENGINE = SummingMergeTree ORDER BY patient_id',
    'CREATE MATERIALIZED VIEW IF NOT EXISTS agg_mv TO agg AS SELECT patient_id, count() AS n FROM src GROUP BY patient_id',
  ]), OPTIONS)
  assert.equal(m!.statements[4], 'CREATE MATERIALIZED VIEW IF NOT EXISTS `neva`.`agg_mv` ON CLUSTER `neva`\nTO `neva`.`agg_local`\nAS SELECT patient_id, count() AS n FROM `neva`.`src_local` GROUP BY patient_id')
  for (const sql of m!.statements) session.queryBind('SELECT formatQuery({q:String})', { q: sql }, 'TSVRaw')
  assert.throws(() => renderClusterMigrations(migration(['CREATE MATERIALIZED VIEW v ENGINE = MergeTree ORDER BY a AS SELECT 1 AS a']), OPTIONS), /only views that write TO a table/)
})

test('a backfill (INSERT … SELECT) reads and writes the Distributed tables, so each row reaches its shard', () => {
  const [m] = renderClusterMigrations(migration([
    'CREATE TABLE src (patient_id String, v Float64) ENGINE = MergeTree ORDER BY patient_id',
    'CREATE TABLE agg (patient_id String, n UInt64) ENGINE = SummingMergeTree ORDER BY patient_id',
    'INSERT INTO agg SELECT patient_id, count() AS n FROM src GROUP BY patient_id',
  ]), OPTIONS)
  assert.equal(m!.statements.at(-1), 'INSERT INTO `neva`.`agg`\nSELECT patient_id, count() AS n FROM `neva`.`src` GROUP BY patient_id')
  session.queryBind('SELECT formatQuery({q:String})', { q: m!.statements.at(-1)! }, 'TSVRaw')
})

test("a materialized view's new SELECT (MODIFY QUERY) reads the local tables too; a mutation's delete runs on the local tables", () => {
  const [m] = renderClusterMigrations(migration([
    'CREATE TABLE src (patient_id String, v Float64) ENGINE = MergeTree ORDER BY patient_id',
    'CREATE TABLE agg (patient_id String, n UInt64) ENGINE = SummingMergeTree ORDER BY patient_id',
    'CREATE MATERIALIZED VIEW agg_mv TO agg AS SELECT patient_id, count() AS n FROM src GROUP BY patient_id',
    'ALTER TABLE agg_mv MODIFY QUERY SELECT patient_id, count() AS n FROM src WHERE isFinite(v) GROUP BY patient_id',
    'ALTER TABLE agg DELETE WHERE n = 0',
  ]), OPTIONS)
  assert.deepEqual(m!.statements.slice(-2), [
    'ALTER TABLE `neva`.`agg_mv` ON CLUSTER `neva` MODIFY QUERY\nSELECT patient_id, count() AS n FROM `neva`.`src_local` WHERE isFinite(v) GROUP BY patient_id',
    'ALTER TABLE `neva`.`agg_local` ON CLUSTER `neva` DELETE WHERE n = 0',
  ])
  for (const sql of m!.statements) session.queryBind('SELECT formatQuery({q:String})', { q: sql }, 'TSVRaw')
  assert.throws(() => renderClusterMigrations(migration(['CREATE TABLE src (a String) ENGINE = MergeTree ORDER BY a', 'CREATE TABLE agg (a String) ENGINE = MergeTree ORDER BY a',
    'CREATE MATERIALIZED VIEW agg_mv TO agg AS SELECT a FROM src', 'ALTER TABLE agg_mv ADD COLUMN b String']), OPTIONS), /a materialized view takes MODIFY QUERY only/)
})

test('what the renderer does not support is refused, naming the migration and the construct', () => {
  const refused = (statements: string[], why: RegExp) => assert.throws(() => renderClusterMigrations(migration(statements), OPTIONS), (e: Error) => {
    assert.match(e.message, /^migration 9_test, statement \d+: /)
    assert.match(e.message, why)
    return true
  })
  refused(['CREATE TABLE t (a String) ENGINE = Memory'], /engine Memory is not a MergeTree-family engine/)
  refused(['CREATE TABLE t (a String) ENGINE = ReplicatedMergeTree ORDER BY a'], /engine ReplicatedMergeTree is not a MergeTree-family engine/)
  refused(['CREATE TABLE t ON CLUSTER c (a String) ENGINE = MergeTree ORDER BY a'], /already has ON CLUSTER/)
  refused(['CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a', 'INSERT INTO t VALUES (1)'], /only INSERT … SELECT is supported/)
  refused(['INSERT INTO nope SELECT 1'], /INSERT INTO nope: no earlier migration creates this table/)
  refused(['ALTER TABLE nope ADD COLUMN a String'], /no earlier migration creates this table/)
  refused(['CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a', "ALTER TABLE t UPDATE a = '' WHERE 1"], /unsupported command "UPDATE a =…"/)
  refused(['CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a', 'ALTER TABLE t ADD COLUMN b String, MODIFY TTL now()'], /separate statements/)
  refused(['CREATE TABLE t (a String) ENGINE = MergeTree ORDER BY a', 'CREATE MATERIALIZED VIEW v TO t AS SELECT a FROM other'], /reads other, which the migrations do not create/)
  assert.throws(() => renderClusterMigrations([], { cluster: 'bad name', database: 'neva' }), /invalid ClickHouse identifier/)
})

// ─── The `cluster` compose profile ───────────────────────────────────────────────────────────
interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

/** A strict reader for the small XML configs: one root, matched tags, quoted attributes, known entities. */
function parseXml(xml: string, file: string): XmlElement {
  const fail = (at: number, why: string): never => { throw new Error(`${file}: ${why} at offset ${at}`) }
  const stack: XmlElement[] = [{ name: '#document', attrs: {}, children: [], text: '' }]
  let i = 0
  while (i < xml.length) {
    if (xml.startsWith('<?', i)) { const e = xml.indexOf('?>', i); if (e < 0) fail(i, 'unterminated declaration'); i = e + 2; continue }
    if (xml.startsWith('<!--', i)) { const e = xml.indexOf('-->', i); if (e < 0) fail(i, 'unterminated comment'); i = e + 3; continue }
    if (xml[i] === '<') {
      const e = xml.indexOf('>', i)
      if (e < 0) fail(i, 'unterminated tag')
      const body = xml.slice(i + 1, e)
      if (body.startsWith('/')) {
        const open = stack.pop()!
        if (open.name !== body.slice(1).trim()) fail(i, `</${body.slice(1).trim()}> closes <${open.name}>`)
      } else {
        const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*"[^"<]*")*)\s*(\/?)$/.exec(body)
        if (!m) fail(i, `malformed tag <${body}>`)
        const attrs = Object.fromEntries([...m![2]!.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g)].map((a) => [a[1]!, a[2]!]))
        const el: XmlElement = { name: m![1]!, attrs, children: [], text: '' }
        const parent = stack[stack.length - 1]!
        if (parent.name === '#document' && parent.children.length > 0) fail(i, 'a second root element')
        parent.children.push(el)
        if (!m![3]) stack.push(el)
      }
      i = e + 1
      continue
    }
    const next = xml.indexOf('<', i)
    const text = xml.slice(i, next < 0 ? xml.length : next)
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) fail(i, 'a bare &')
    if (stack.length === 1 && text.trim()) fail(i, 'text outside the root element')
    stack[stack.length - 1]!.text += text.trim()
    i = next < 0 ? xml.length : next
  }
  if (stack.length !== 1) fail(xml.length, `<${stack[stack.length - 1]!.name}> is not closed`)
  return stack[0]!.children[0] ?? fail(0, 'no root element')
}
const child = (el: XmlElement, name: string): XmlElement => {
  const found = el.children.find((c) => c.name === name)
  assert.ok(found, `<${el.name}> has a <${name}>`)
  return found
}
const children = (el: XmlElement, name: string) => el.children.filter((c) => c.name === name)

test('the XML reader refuses what is not well-formed', () => {
  assert.throws(() => parseXml('<a><b></a>', 'x'), /x: <\/a> closes <b>/)
  assert.throws(() => parseXml('<a x=1/>', 'x'), /malformed tag/)
  assert.throws(() => parseXml('<a>&</a>', 'x'), /a bare &/)
  assert.throws(() => parseXml('<a/><b/>', 'x'), /a second root/)
  assert.throws(() => parseXml('<a>', 'x'), /<a> is not closed/)
  assert.equal(parseXml('<?xml version="1.0"?><!-- c --><a k="v"><b>t</b></a>', 'x').children[0]!.text, 't')
})

test('docker compose profile `cluster`: 2 shards × 1 replica and a Keeper, configs consistent with the services', () => {
  type Service = { image?: string; profiles?: string[]; volumes?: string[]; environment?: Record<string, string>; depends_on?: unknown }
  const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> }
  const services = compose.services
  // The default `docker compose up` is unchanged: everything added is behind a profile.
  assert.deepEqual(Object.keys(services).filter((n) => !services[n]!.profiles).sort(), ['clickhouse', 'core', 'edge', 'migrate', 'simulators'])
  const inCluster = Object.entries(services).filter(([, s]) => s.profiles?.includes('cluster'))
  const mounts = (s: Service) => new Map((s.volumes ?? []).map((v) => { const [from, to] = v.split(':'); return [to!, from!] }))
  const read = (hostPath: string) => parseXml(readFileSync(join(ROOT, hostPath), 'utf8'), hostPath)
  for (const [name, s] of inCluster) {
    for (const [, from] of mounts(s)) if (from.startsWith('./')) read(from)
    for (const v of s.volumes ?? []) { const from = v.split(':')[0]!; if (!from.startsWith('.')) assert.ok(from in compose.volumes, `${name}: volume ${from} is declared`) }
  }

  const keepers = inCluster.filter(([, s]) => s.image?.startsWith('clickhouse/clickhouse-keeper:'))
  assert.equal(keepers.length, 1)
  const [keeperName, keeper] = keepers[0]!
  const keeperConfig = child(read(mounts(keeper).get('/etc/clickhouse-keeper/keeper_config.xml')!), 'keeper_server')
  const keeperPort = child(keeperConfig, 'tcp_port').text
  const raft = children(child(keeperConfig, 'raft_configuration'), 'server')
  assert.deepEqual(raft.map((s) => [child(s, 'id').text, child(s, 'hostname').text]), [[child(keeperConfig, 'server_id').text, keeperName]])

  const servers = inCluster.filter(([, s]) => s.image?.startsWith('clickhouse/clickhouse-server:'))
  assert.equal(servers.length, 2)
  const seen = new Map<string, string>()
  for (const [name, s] of servers) {
    const [, major, minor] = /:(\d+)\.(\d+)/.exec(s.image!) ?? []
    assert.ok(Number(major) * 100 + Number(minor) >= 2408, `${name}: ClickHouse 24.8 or newer`)
    const m = mounts(s)
    const config = read(m.get('/etc/clickhouse-server/config.d/cluster.xml')!)
    const macros = child(read(m.get('/etc/clickhouse-server/config.d/macros.xml')!), 'macros')
    const shards = children(child(child(config, 'remote_servers'), 'neva'), 'shard')
    assert.equal(shards.length, 2, 'cluster neva has 2 shards')
    const hosts = shards.map((sh) => children(sh, 'replica').map((r) => child(r, 'host').text))
    assert.deepEqual(hosts.map((h) => h.length), [1, 1], 'one replica per shard')
    for (const h of hosts.flat()) assert.ok(servers.some(([n]) => n === h), `remote_servers host ${h} is a cluster service`)
    for (const sh of shards) assert.equal(child(sh, 'internal_replication').text, 'true')
    // The node's {shard} macro names the shard that lists it; {replica} is unique.
    const shardNo = hosts.findIndex((h) => h.includes(name)) + 1
    assert.ok(shardNo > 0, `${name} is in remote_servers`)
    assert.equal(Number(child(macros, 'shard').text), shardNo, `${name}: {shard} macro`)
    const replica = child(macros, 'replica').text
    assert.ok(!seen.has(replica), `${name}: {replica} ${replica} is unique`)
    seen.set(replica, name)
    const zk = children(child(config, 'zookeeper'), 'node').map((n) => [child(n, 'host').text, child(n, 'port').text])
    assert.deepEqual(zk, [[keeperName, keeperPort]], `${name} reaches the Keeper by its service name and client port`)
    child(config, 'distributed_ddl')
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {})
    assert.ok(deps.includes(keeperName), `${name} starts after the Keeper`)
    assert.equal(s.environment?.CLICKHOUSE_USER, child(children(shards[0]!, 'replica')[0]!, 'user').text, 'servers reach each other as the user the image creates')
  }
})
