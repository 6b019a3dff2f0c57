// The checks on a parsed query that the grammar alone does not make: every table is an analyst
// view or a common table expression in scope, a generator's arguments are constants, IN never
// looks in a bare name. Returns the views read, for the audit. The printer resolves tables with
// the same resolveTable, so a table the walk here missed still cannot be printed.
import type { Expr, Query, Select, TableExpr } from './ast.js'
import { AnalystError } from '../errors.js'
import { ANALYST_DATABASE, ANALYST_VIEWS } from './views.js'

export type TableRef = { k: 'view'; name: string } | { k: 'cte'; name: string }

/** What a table name in FROM or JOIN may be; anything else is refused. */
export function resolveTable(parts: readonly string[], ctes: ReadonlySet<string>, at: number): TableRef {
  const [first, second] = parts
  if (parts.length === 1 && ctes.has(first!)) return { k: 'cte', name: first! }
  if (parts.length === 1 && Object.hasOwn(ANALYST_VIEWS, first!)) return { k: 'view', name: first! }
  if (parts.length === 2 && first === ANALYST_DATABASE && Object.hasOwn(ANALYST_VIEWS, second!)) return { k: 'view', name: second! }
  const name = parts.join('.')
  throw new AnalystError('NEVA_ANALYST_TABLE', parts.length === 1 ? `${name} at offset ${at} is not an analyst view` : `${name} at offset ${at} is outside the ${ANALYST_DATABASE} database or not an analyst view`)
}

/** The analyst views a query reads ("analyst.name", sorted); throws AnalystError on a refusal. */
export function checkQuery(query: Query): string[] {
  const tables = new Set<string>()
  walkQuery(query, new Set(), tables)
  return [...tables].sort()
}

function walkQuery(q: Query, ctes: ReadonlySet<string>, tables: Set<string>): void {
  if (q.k === 'union') {
    walkQuery(q.first, ctes, tables)
    for (const r of q.rest) walkQuery(r.query, ctes, tables)
  } else walkSelect(q, ctes, tables)
}

function walkSelect(s: Select, outer: ReadonlySet<string>, tables: Set<string>): void {
  const ctes = new Set(outer)
  for (const w of s.with) {
    if (w.k === 'cte') {
      walkQuery(w.query, ctes, tables)
      ctes.add(w.name)
    } else walkExpr(w.expr, ctes, tables)
  }
  const e = (x: Expr | undefined) => x && walkExpr(x, ctes, tables)
  for (const item of s.items) e(item.expr)
  if (s.from) {
    walkTable(s.from.first, ctes, tables)
    for (const j of s.from.joins) {
      if (j.k === 'arrayJoin') j.items.forEach((i) => e(i.expr))
      else {
        walkTable(j.table, ctes, tables)
        e(j.on)
      }
    }
  }
  e(s.prewhere)
  e(s.where)
  s.groupBy?.exprs.forEach(e)
  e(s.having)
  e(s.qualify)
  s.orderBy.forEach((o) => e(o.expr))
  if (s.limitBy) s.limitBy.by.forEach(e)
}

function walkTable(t: TableExpr, ctes: ReadonlySet<string>, tables: Set<string>): void {
  if (t.k === 'table') {
    const ref = resolveTable(t.parts, ctes, t.at)
    if (ref.k === 'view') tables.add(`${ANALYST_DATABASE}.${ref.name}`)
  } else if (t.k === 'subquery') walkQuery(t.query, ctes, tables)
  else {
    // Generators take constants only: a name or a subquery here could name a table.
    for (const a of t.args) {
      if (!isConstant(a)) throw new AnalystError('NEVA_ANALYST_TABLE_FUNCTION', `${t.name}() at offset ${t.at} takes constants only`)
    }
  }
}

function isConstant(e: Expr): boolean {
  switch (e.k) {
    case 'number': case 'string': case 'null': case 'bool': case 'param': return true
    case 'unary': return e.op === '-' && isConstant(e.arg)
    case 'array': case 'tuple': return e.items.every(isConstant)
    default: return false
  }
}

function walkExpr(e: Expr, ctes: ReadonlySet<string>, tables: Set<string>): void {
  const w = (x: Expr | undefined) => x && walkExpr(x, ctes, tables)
  switch (e.k) {
    case 'unary': return void w(e.arg)
    case 'binary': w(e.left); return void w(e.right)
    case 'isNull': return void w(e.arg)
    case 'between': w(e.arg); w(e.low); return void w(e.high)
    case 'in':
      w(e.arg)
      if (e.set.k === 'subquery') return walkQuery(e.set.query, ctes, tables)
      if (e.set.k === 'list' || e.set.k === 'array') {
        // `x IN (users)` is `x IN users` to ClickHouse: a table. A list holds values, not names.
        for (const item of e.set.items) {
          if (item.k === 'column') throw new AnalystError('NEVA_ANALYST_TABLE', `IN (${item.parts.join('.')}): IN takes values, a subquery or a parameter, not a name`)
          w(item)
        }
      }
      return
    case 'case':
      w(e.operand)
      for (const c of e.whens) { w(c.when); w(c.then) }
      return void w(e.else)
    case 'cast': return void w(e.arg)
    case 'interval': return void w(e.value)
    case 'array': case 'tuple': return e.items.forEach(w)
    case 'index': w(e.arg); return void w(e.index)
    case 'lambda': return void w(e.body)
    case 'call':
      e.params?.forEach(w)
      e.args.forEach(w)
      if (e.over) {
        e.over.partitionBy.forEach(w)
        e.over.orderBy.forEach((o) => w(o.expr))
      }
      return
    case 'subquery': case 'exists': return walkQuery(e.query, ctes, tables)
    default: return
  }
}
