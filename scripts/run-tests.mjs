// Runs the test files with tap 21 (each file a subprocess on node:test, TypeScript through tsx,
// TAP back to tap), collects V8 coverage, and prints the real counts as the last line:
// "N passed, N failed, N skipped". docs/testing.md says how to filter and read coverage.
//
//   node scripts/run-tests.mjs                      every test, coverage table, floors checked
//   node scripts/run-tests.mjs edge                 one package (an exact package name)
//   node scripts/run-tests.mjs edge/test/uplink     files whose path contains the text
//   node scripts/run-tests.mjs --grep "outbox full" tests whose name matches (node's --test-name-pattern)
//   node scripts/run-tests.mjs --no-coverage        skip coverage (quicker while iterating)
//   node scripts/run-tests.mjs --child-coverage     coverage of the node processes the tests spawn
//                                                   too (./bin/neva, gateways, cores): ~+25 % time
// By default coverage is of the test processes only (docs/testing.md, "Duration", says why).
// Any other --option goes to tap as it is (e.g. --bail).
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, existsSync, globSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Report } from 'c8'
import { fixSourceMaps, oneTranspilation } from './coverage-variants.mjs'
import { Parser } from 'tap-parser'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
process.chdir(root)
const artifacts = join(root, '.test-artifacts')

// The packages: the workspaces in package.json (globs expanded) plus cli/, which has tests
// but may have no package.json; a new workspace is picked up without editing this file.
const manifest = JSON.parse(readFileSync('package.json', 'utf8'))
const workspaces = Array.isArray(manifest.workspaces) ? manifest.workspaces : (manifest.workspaces?.packages ?? [])
const packages = [...new Set([...workspaces.flatMap((w) => globSync(w)), 'cli'])]
  .map((p) => p.replace(/\/+$/, ''))
  .filter((p) => existsSync(p) && statSync(p).isDirectory())
  .sort()

// Arguments: positional ones narrow the files (an exact package name selects that package,
// anything else is a substring of the path, as `make security` passes); --grep narrows tests.
const filters = []
const grep = []
const tapArgs = []
let coverage = process.env.COVERAGE !== '0'
let childCoverage = false
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]
  if (a === '--grep' || a === '-g') grep.push(argv[++i] ?? '')
  else if (a.startsWith('--grep=')) grep.push(a.slice('--grep='.length))
  else if (a === '--no-coverage') coverage = false
  else if (a === '--no-child-coverage') childCoverage = false // the default; kept for old commands
  else if (a === '--child-coverage') childCoverage = true
  else if (a.startsWith('-')) tapArgs.push(a)
  else filters.push(...a.split(/\s+/).filter(Boolean))
}
const all = packages.flatMap((p) => globSync(`${p}/{src,test}/**/*.test.ts`)).sort()
const matches = (f, x) => (packages.includes(x.replace(/\/+$/, '')) ? f.startsWith(x.replace(/\/+$/, '') + '/') : f.includes(x))
const files = all.filter((f) => filters.length === 0 || filters.some((x) => matches(f, x)))
if (files.length === 0) {
  console.log(`no test files matched ${filters.join(' ')} (packages: ${packages.join(', ')})`)
  console.log('0 passed, 1 failed')
  process.exit(1)
}
// The floors are figures of a full run of the default (the test processes measured); a run that
// measures the spawned processes too only adds to them, so it is checked against the same floors.
// Without ../shared (the real recordings and ICU stays) the tests that read it skip, so the run
// is not the one the floors were taken from: the table is printed, the floors are not checked.
const sharedData = existsSync(resolve('..', 'shared'))
const fullRun = (filters.length === 0 && grep.length === 0 && sharedData) || process.env.NEVA_CHECK_FLOORS === '1'

// What each test file runs with (also in .taprc, for `npx tap FILE`): TypeScript through tsx,
// node:test printing TAP, 180 s per test.
const nodeArgs = ['--import=tsx', '--test-reporter=tap', '--test-timeout=180000']
if (coverage && !childCoverage) nodeArgs.push(`--import=${join(root, 'scripts/no-child-coverage.mjs')}`)
// tap's settings are in .taprc (jobs, timeouts, node args, coverage reporters); these depend on the run.
const args = [
  join(root, 'node_modules/tap/dist/esm/run.mjs'),
  '--reporter=tap',
  ...(coverage ? [] : ['--disable-coverage']),
  // A --node-arg on the command line replaces .taprc's list, so the whole list is given here.
  ...nodeArgs.map((a) => `--node-arg=${a}`),
  ...grep.map((g) => `--node-arg=--test-name-pattern=${g}`),
  ...tapArgs,
  ...files,
]
// .taprc switches tap's TypeScript and mock plugins off; tap rebuilds its test class for that on
// the first run after `npm ci`, but that first run still spawns the files with the old plugin set
// (they all fail). So build first while the built signature still lists either plugin.
const built = join(root, 'node_modules/@tapjs/test/test-built/dist/esm/index.js')
if (!existsSync(built) || /^export const signature = `[^`]*@tapjs\/(typescript|mock)\b/m.test(readFileSync(built, 'utf8'))) {
  console.log('tap: building its plugin set (once after npm ci)')
  const b = spawnSync(process.execPath, [join(root, 'node_modules/tap/dist/esm/run.mjs'), 'build'], { stdio: 'inherit' })
  if (b.status !== 0) { console.log('tap build failed'); console.log('0 passed, 1 failed'); process.exit(1) }
}
rmSync(join(root, '.tap/coverage'), { recursive: true, force: true })
mkdirSync(artifacts, { recursive: true })
// One embedded store migrated for the whole run; each test's new store starts as a copy of it
// (analytics/src/embedded-seed.ts). A run whose seed cannot be made migrates every store itself.
const seedDir = mkdtempSync(join(tmpdir(), 'neva-test-seed-'))
const seed = join(seedDir, 'clickhouse')
const seeded = process.env.NEVA_TEST_CLICKHOUSE_SEED === 'off' ? { status: 1, stderr: 'NEVA_TEST_CLICKHOUSE_SEED=off' } : spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e',
  "import { connectClickHouse, migrate } from '@neva/analytics'; const ch = await connectClickHouse({ path: process.argv[1] }); await migrate(ch); await ch.close()", seed],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NEVA_TEST: '0' } })
if (seeded.status !== 0) console.log(`test seed store not made (each store migrates itself): ${String(seeded.stderr).trim().split('\n').slice(-1)[0]}`)
const raw = createWriteStream(join(artifacts, 'tap-output.tap'))
const started = Date.now()
console.log(`tap: ${files.length} test files from ${packages.join(', ')}${coverage ? ', with coverage' : ''}`)

// Counts from the TAP itself: a test point with subtests counts through its leaves; a file or
// suite that failed with no failing leaf (a crash, an uncaught error, a timeout) counts as one.
const counts = { pass: 0, fail: 0, skip: 0 }
const failures = []
const after = []
function watch(parser, path, depth) {
  const own = { pass: 0, fail: 0, skip: 0, leaves: 0 }
  let sub = null
  parser.on('child', (p) => { sub = watch(p, [...path, p.name], depth + 1) })
  parser.on('assert', (r) => {
    const s = sub
    sub = null
    const name = [...path, r.name].join(' > ')
    let mine
    if (depth === 0 && r.skip && !(s && s.leaves > 0) && /no tests found/.test(String(r.skip))) {
      console.log(`--   ${r.name}  no test matched`)
      return
    }
    if (s && s.leaves > 0) {
      mine = { pass: s.pass, fail: s.fail, skip: s.skip, leaves: s.leaves }
      if (!r.ok && !r.todo && !r.skip && s.fail === 0) { mine.fail++; mine.leaves++; failures.push({ name, diag: r.diag }) }
    } else {
      mine = { pass: 0, fail: 0, skip: 0, leaves: 1 }
      if (r.skip || r.todo) mine.skip++
      else if (r.ok) mine.pass++
      else { mine.fail++; failures.push({ name, diag: r.diag }) }
    }
    for (const k of Object.keys(own)) own[k] += mine[k]
    if (depth === 0) fileDone(r, mine)
  })
  return own
}
function fileDone(r, s) {
  const time = r.time ? ` ${(r.time / 1000).toFixed(1)}s` : ''
  const skip = s.skip ? `, ${s.skip} skipped` : ''
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}  ${s.pass} passed, ${s.fail} failed${skip}${time}`)
}
const top = new Parser()
// tap's own coverage check against 100 % ("# ERROR: incomplete branches coverage (66.66%)") is
// of its own merge of the raw files, without the fix-ups; the table below is the figure.
top.on('comment', (c) => { if (!/^# \{ total/.test(c) && !/^# time=/.test(c) && !/^# (ERROR: incomplete \w+ coverage|No coverage generated)/.test(c)) after.push(c.trimEnd()) })
top.on('extra', (e) => after.push(String(e).trimEnd()))
const totals = watch(top, [], 0)

const child = spawn(process.execPath, args, {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NEVA_TEST: '1', NEVA_TEST_CLICKHOUSE_SEED: seeded.status === 0 ? seed : '' },
})
child.stdout.on('data', (chunk) => { raw.write(chunk); top.write(chunk) })
const code = await new Promise((res) => child.on('close', (c, sig) => res(c ?? (sig ? 1 : 0))))
top.end()
raw.end()
rmSync(seedDir, { recursive: true, force: true })
Object.assign(counts, { pass: totals.pass, fail: totals.fail, skip: totals.skip })
await new Promise((res) => setImmediate(res))
const seconds = ((Date.now() - started) / 1000).toFixed(0)

for (const f of failures) {
  console.log(`\nfailed: ${f.name}`)
  const d = f.diag ?? {}
  const lines = [d.error, d.location && `at ${d.location}`, d.exitCode != null && !d.error && `the file exited ${d.exitCode}${d.signal ? ` (${d.signal})` : ''}: see .test-artifacts/tap-output.tap`, d.stack && String(d.stack).split('\n').slice(0, 6).join('\n')]
  for (const l of lines.filter(Boolean)) console.log(String(l).replace(/^/gm, '  '))
}
for (const l of after.filter((l) => l && !/^#\s*$/.test(l))) console.log(l)

let coverageFailed = false
if (coverage) coverageFailed = !(await reportCoverage(fullRun))
if (code !== 0 && counts.fail === 0 && !coverageFailed) counts.fail = 1 // tap failed for a reason no test shows
console.log(`tap exited ${code} after ${seconds}s; raw TAP: .test-artifacts/tap-output.tap`)
const failed = counts.fail + (coverageFailed && counts.fail === 0 ? 1 : 0)
console.log(`${counts.pass} passed, ${failed} failed, ${counts.skip} skipped`)
process.exit(code !== 0 || failed > 0 ? 1 : 0)

// Coverage: tap's processinfo plugin records V8 coverage of every test process, of the worker
// threads they start (they inherit its --import), and with --child-coverage of the node processes
// they spawn (into .tap/coverage/, one file each). scripts/coverage-variants.mjs fixes those files
// up for c8 (tsx's empty sourcesContent; one transpilation per source file); then c8 (what tap's
// own report uses) writes the JSON summary and the HTML report into .test-artifacts/coverage/,
// the table sums it per package, and a full run checks the floors in scripts/coverage-floors.json.
async function reportCoverage(checkFloors) {
  const dir = join(root, '.tap/coverage')
  const entries = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []
  if (entries.length === 0) { console.log('coverage: none was recorded'); return !checkFloors }
  fixSourceMaps(dir, entries)
  const { files: twice, dropped } = oneTranspilation(dir, entries)
  if (twice > 0) console.log(`coverage: ${twice} source files ran as two transpilations (ESM, and CommonJS in piscina's worker threads); ${dropped} records of the less-run one left out (scripts/coverage-variants.mjs)`)
  const out = join(artifacts, 'coverage')
  rmSync(out, { recursive: true, force: true })
  const report = new Report({
    reporter: ['json-summary', 'html'],
    reportsDirectory: out,
    tempDirectory: dir,
    excludeNodeModules: true,
    exclude: ['**/node_modules/**', '**/test/**', '**/*.test.ts', '.tap/**', '.test-artifacts/**'],
    skipFull: false,
  })
  await report.run()
  const summaryFile = join(out, 'coverage-summary.json')
  if (!existsSync(summaryFile)) { console.log('coverage: no coverage summary was written'); return !checkFloors }
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'))
  const per = new Map(packages.map((p) => [p, { lines: [0, 0], branches: [0, 0], functions: [0, 0] }]))
  for (const [file, s] of Object.entries(summary)) {
    if (file === 'total') continue
    const rel = file.startsWith(root + '/') ? file.slice(root.length + 1) : file
    const pkg = packages.find((p) => rel.startsWith(p + '/'))
    if (!pkg) continue
    const acc = per.get(pkg)
    for (const k of ['lines', 'branches', 'functions']) { acc[k][0] += s[k].covered; acc[k][1] += s[k].total }
  }
  const pct = ([c, t]) => (t === 0 ? 100 : Math.floor((c / t) * 1000) / 10)
  const floors = existsSync('scripts/coverage-floors.json') ? JSON.parse(readFileSync('scripts/coverage-floors.json', 'utf8')) : {}
  console.log(`\ncoverage (lines %, branches %, functions %; files the tests loaded, ${childCoverage ? 'spawned processes included' : 'test processes only'})`)
  console.log('package            lines  branches  functions   floor (l/b/f)')
  let ok = true
  const below = []
  for (const [pkg, acc] of per) {
    if (acc.lines[1] === 0) {
      if (checkFloors && floors[pkg]) below.push(`${pkg}: no coverage was recorded for it, and it has a floor`)
      continue
    }
    const v = { lines: pct(acc.lines), branches: pct(acc.branches), functions: pct(acc.functions) }
    const fl = floors[pkg]
    console.log(`${pkg.padEnd(18)} ${String(v.lines).padStart(5)}  ${String(v.branches).padStart(8)}  ${String(v.functions).padStart(9)}   ${fl ? `${fl.lines}/${fl.branches}/${fl.functions}` : '-'}`)
    if (checkFloors && fl) for (const k of ['lines', 'branches', 'functions']) if (v[k] < fl[k]) below.push(`${pkg}: ${k} ${v[k]}% is below its floor of ${fl[k]}%`)
  }
  console.log('coverage HTML: .test-artifacts/coverage/index.html')
  if (!checkFloors) console.log(`coverage floors: not checked (they are for a full run${sharedData ? '' : ' with ../shared, absent here'}; NEVA_CHECK_FLOORS=1 checks them)`)
  for (const b of below) { console.log(`COVERAGE FLOOR: ${b} (scripts/coverage-floors.json)`); ok = false }
  return ok
}
