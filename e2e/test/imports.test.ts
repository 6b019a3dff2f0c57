// How packages may import each other: every .ts file of every workspace package is scanned (the
// TypeScript compiler's own pre-processor finds static, type-only, re-export and dynamic imports;
// require() is not looked for: the code is ES modules, and `access.require('nurse')` is no import).
//   - a relative import stays inside its package's directory;
//   - `@neva/x` is the package itself or is declared in its package.json (dependencies or
//     devDependencies), and `@neva/x/sub` only where x's package.json exports `./sub`;
//   - any other package is declared in the package's package.json or the root one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, globSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

interface PackageJson {
  name: string
  workspaces?: string[]
  exports?: string | Record<string, string>
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson
const declared = (p: PackageJson) => new Set([...Object.keys(p.dependencies ?? {}), ...Object.keys(p.devDependencies ?? {}), ...Object.keys(p.peerDependencies ?? {})])
const BUILTINS = new Set(builtinModules)

/** `@scope/name/a/b` → [`@scope/name`, `./a/b`]; `name/a` → [`name`, `./a`]. */
function splitSpecifier(spec: string): [string, string] {
  const parts = spec.split('/')
  const n = spec.startsWith('@') ? 2 : 1
  const rest = parts.slice(n).join('/')
  return [parts.slice(0, n).join('/'), rest ? `./${rest}` : '.']
}

export interface Workspace {
  dir: string
  pkg: PackageJson
}

/** The problem with one import specifier of a file in `ws`, or null when it is allowed. */
export function importProblem(ws: Workspace, file: string, spec: string, byName: Map<string, PackageJson>, rootDeclared: Set<string>): string | null {
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = resolve(dirname(file), spec)
    return target === ws.dir || target.startsWith(ws.dir + sep) ? null : `relative import leaves ${relative(ROOT, ws.dir)}/`
  }
  if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!)) return null
  const [name, sub] = splitSpecifier(spec)
  if (name.startsWith('@neva/')) {
    const target = byName.get(name)
    if (!target) return `${name} is no workspace package`
    if (name !== ws.pkg.name && !declared(ws.pkg).has(name)) return `${name} is not declared in ${relative(ROOT, ws.dir)}/package.json`
    const exported = typeof target.exports === 'string' ? ['.'] : Object.keys(target.exports ?? { '.': '' })
    return exported.includes(sub) ? null : `${spec}: ${name} exports no ${sub} (import its public entry)`
  }
  return declared(ws.pkg).has(name) || rootDeclared.has(name) ? null : `${name} is declared neither in ${relative(ROOT, ws.dir)}/package.json nor in the root package.json`
}

export function workspaces(): Workspace[] {
  const root = readJson(join(ROOT, 'package.json'))
  return (root.workspaces ?? []).map((w) => ({ dir: join(ROOT, w), pkg: readJson(join(ROOT, w, 'package.json')) }))
}

function scan(): string[] {
  const root = readJson(join(ROOT, 'package.json'))
  const all = workspaces()
  const byName = new Map(all.map((w) => [w.pkg.name, w.pkg]))
  const rootDeclared = declared(root)
  const problems: string[] = []
  for (const ws of all) {
    const files = globSync('**/*.{ts,mts,cts}', { cwd: ws.dir, exclude: (f) => f === 'node_modules' || f === 'dist' })
    assert.ok(files.length > 0, `${ws.pkg.name}: no .ts files found`)
    for (const f of files) {
      if (f.endsWith('.d.ts')) continue
      const file = join(ws.dir, f)
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, false)
      for (const { fileName: spec } of importedFiles) {
        const problem = importProblem(ws, file, spec, byName, rootDeclared)
        if (problem) problems.push(`${relative(ROOT, file)}: '${spec}': ${problem}`)
      }
    }
  }
  return problems
}

test('every package imports only its own files, the public entries of the packages it declares and declared third-party packages', () => {
  assert.deepEqual(scan(), [])
})

test('the check refuses what it should', () => {
  const byName = new Map(workspaces().map((w) => [w.pkg.name, w.pkg]))
  const ws: Workspace = { dir: join(ROOT, 'cli'), pkg: { name: '@neva/cli', dependencies: { '@neva/edge': '0.1.0', mqtt: '5' } } }
  const file = join(ROOT, 'cli/src/model/train.ts')
  const ok = (spec: string) => importProblem(ws, file, spec, byName, new Set(['typescript']))
  assert.equal(ok('./dataset.js'), null)
  assert.equal(ok('../commands.js'), null)
  assert.equal(ok('node:fs'), null)
  assert.equal(ok('@neva/edge'), null)
  assert.equal(ok('@neva/edge/config'), null)
  assert.equal(ok('mqtt'), null)
  assert.equal(ok('typescript'), null)
  assert.match(ok('../../../edge/src/triage/pool.js') ?? '', /leaves cli\//)
  assert.match(ok('@neva/edge/src/pipeline.js') ?? '', /exports no/)
  assert.match(ok('@neva/core') ?? '', /not declared/)
  assert.match(ok('@neva/nothing') ?? '', /no workspace package/)
  assert.match(ok('left-pad') ?? '', /declared neither/)
})
