// Prints the SQL that runs, from the tree only. Every name is validated and backquoted, every
// string re-escaped, every operator parenthesized, every table printed as `analyst`.`view` or as
// a common table expression in scope (resolveTable again), every function, table function and
// type looked up in its allowlist again. So whatever the check missed, the text that reaches
// ClickHouse names no raw table, no file and no setting.
import type { Expr, InSet, OrderItem, Query, Select, TableExpr, TypeNode, Window } from './ast.js'
import { resolveTable } from './check.js'
import { AnalystError } from '../errors.js'
import { resolveFunction, resolveTableFunction } from './functions.js'
import { IDENTIFIER } from './lexer.js'
import { printType as typeText, resolveType } from './types.js'
import { ANALYST_DATABASE } from './views.js'

const NUMBER = /^(0x[0-9A-Fa-f]+|0b[01]+|([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)$/

function bad(what: string): never {
  throw new AnalystError('NEVA_ANALYST_SYNTAX', `cannot print ${what}`)
}

export function quoteName(name: string): string {
  if (!IDENTIFIER.test(name)) bad(`the name ${JSON.stringify(name)}`)
  return `\`${name}\``
}

/** A string literal: backslash and quote escaped, control characters as \xHH. */
export function quoteString(value: string): string {
  let out = "'"
  for (const ch of value) {
    const code = ch.codePointAt(0)!
    if (ch === '\\') out += '\\\\'
    else if (ch === "'") out += "\\'"
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return `${out}'`
}

function printType(t: TypeNode): string {
  const checked = (n: TypeNode): TypeNode => ({
    name: resolveType(n.name, -1),
    args: n.args.map((a) => ('k' in a ? (a.k === 'number' && !/^[0-9]+$/.test(a.text) ? bad('a type argument') : a) : checked(a))),
  })
  return typeText(checked(t), quoteString)
}

export function printQuery(q: Query, ctes: ReadonlySet<string> = new Set()): string {
  if (q.k === 'select') return printSelect(q, ctes)
  // Each side in parentheses: ORDER BY / LIMIT stay with their own SELECT, as ClickHouse reads them.
  const side = (x: Query) => `(${printQuery(x, ctes)})`
  return [side(q.first), ...q.rest.map((r) => `${r.op} ${side(r.query)}`)].join(' ')
}

function printSelect(s: Select, outer: ReadonlySet<string>): string {
  const ctes = new Set(outer)
  const parts: string[] = []
  if (s.with.length) {
    const items = s.with.map((w) => {
      if (w.k === 'expr') return `${printExpr(w.expr, ctes)} AS ${quoteName(w.alias)}`
      const text = `${quoteName(w.name)} AS (${printQuery(w.query, ctes)})`
      ctes.add(w.name)
      return text
    })
    parts.push(`WITH ${items.join(', ')}`)
  }
  const e = (x: Expr) => printExpr(x, ctes)
  parts.push(`SELECT ${s.distinct ? 'DISTINCT ' : ''}${s.items.map((i) => e(i.expr) + (i.alias ? ` AS ${quoteName(i.alias)}` : '')).join(', ')}`)
  if (s.from) {
    parts.push(`FROM ${printTable(s.from.first, ctes)}`)
    for (const j of s.from.joins) {
      if (j.k === 'arrayJoin') parts.push(`${j.left ? 'LEFT ' : ''}ARRAY JOIN ${j.items.map((i) => e(i.expr) + (i.alias ? ` AS ${quoteName(i.alias)}` : '')).join(', ')}`)
      else if (j.type === 'COMMA') parts.push(`, ${printTable(j.table, ctes)}`)
      else {
        const kind = [j.global ? 'GLOBAL' : '', j.strictness ?? '', j.type, 'JOIN'].filter(Boolean).join(' ')
        const cond = j.on ? ` ON ${e(j.on)}` : j.using ? ` USING (${j.using.map(quoteName).join(', ')})` : ''
        parts.push(`${kind} ${printTable(j.table, ctes)}${cond}`)
      }
    }
  }
  if (s.prewhere) parts.push(`PREWHERE ${e(s.prewhere)}`)
  if (s.where) parts.push(`WHERE ${e(s.where)}`)
  if (s.groupBy) {
    parts.push(`GROUP BY ${s.groupBy.exprs.map(e).join(', ')}`)
    if (s.groupBy.rollup) parts.push(`WITH ${s.groupBy.rollup}`)
    if (s.groupBy.totals) parts.push('WITH TOTALS')
  }
  if (s.having) parts.push(`HAVING ${e(s.having)}`)
  if (s.qualify) parts.push(`QUALIFY ${e(s.qualify)}`)
  if (s.orderBy.length) parts.push(`ORDER BY ${printOrder(s.orderBy, ctes)}`)
  if (s.limitBy) parts.push(`LIMIT ${e(s.limitBy.limit)}${s.limitBy.offset ? ` OFFSET ${e(s.limitBy.offset)}` : ''} BY ${s.limitBy.by.map(e).join(', ')}`)
  if (s.limit) parts.push(`LIMIT ${e(s.limit.limit)}${s.limit.offset ? ` OFFSET ${e(s.limit.offset)}` : ''}`)
  return parts.join(' ')
}

function printTable(t: TableExpr, ctes: ReadonlySet<string>): string {
  const alias = t.alias ? ` AS ${quoteName(t.alias)}` : ''
  if (t.k === 'subquery') return `(${printQuery(t.query, ctes)})${alias}`
  if (t.k === 'function') return `${resolveTableFunction(t.name, t.at)}(${t.args.map((a) => printExpr(a, ctes)).join(', ')})${alias}`
  const ref = resolveTable(t.parts, ctes, t.at)
  return (ref.k === 'view' ? `${quoteName(ANALYST_DATABASE)}.${quoteName(ref.name)}` : quoteName(ref.name)) + alias
}

function printOrder(items: OrderItem[], ctes: ReadonlySet<string>): string {
  return items.map((o) => `${printExpr(o.expr, ctes)}${o.desc ? ' DESC' : ' ASC'}${o.nulls ? ` NULLS ${o.nulls}` : ''}`).join(', ')
}

function printWindow(w: Window, ctes: ReadonlySet<string>): string {
  const parts: string[] = []
  if (w.partitionBy.length) parts.push(`PARTITION BY ${w.partitionBy.map((x) => printExpr(x, ctes)).join(', ')}`)
  if (w.orderBy.length) parts.push(`ORDER BY ${printOrder(w.orderBy, ctes)}`)
  if (w.frame) {
    const bound = (b: NonNullable<Window['frame']>['start']) =>
      b.k === 'current' ? 'CURRENT ROW' : b.k === 'unbounded' ? `UNBOUNDED ${b.dir}` : /^[0-9]+$/.test(b.n) ? `${b.n} ${b.dir}` : bad('a frame offset')
    parts.push(w.frame.end ? `${w.frame.unit} BETWEEN ${bound(w.frame.start)} AND ${bound(w.frame.end)}` : `${w.frame.unit} ${bound(w.frame.start)}`)
  }
  return `(${parts.join(' ')})`
}

function printIn(set: InSet, ctes: ReadonlySet<string>): string {
  switch (set.k) {
    case 'subquery': return `(${printQuery(set.query, ctes)})`
    case 'param': return printExpr({ k: 'param', name: set.name, type: set.type }, ctes)
    case 'array': return `[${set.items.map((x) => printExpr(x, ctes)).join(', ')}]`
    case 'list':
      if (set.items.some((x) => x.k === 'column')) bad('a name after IN')
      return `(${set.items.map((x) => printExpr(x, ctes)).join(', ')})`
  }
}

export function printExpr(e: Expr, ctes: ReadonlySet<string>): string {
  const p = (x: Expr) => printExpr(x, ctes)
  switch (e.k) {
    case 'number': return NUMBER.test(e.text) ? e.text : bad(`the number ${JSON.stringify(e.text)}`)
    case 'string': return quoteString(e.value)
    case 'null': return 'NULL'
    case 'bool': return e.value ? 'true' : 'false'
    case 'column': return e.parts.map(quoteName).join('.')
    case 'star': return e.table ? `${e.table.map(quoteName).join('.')}.*` : '*'
    case 'param': return IDENTIFIER.test(e.name) ? `{${e.name}:${printType(e.type)}}` : bad('a parameter name')
    // A space after the minus: two minuses in a row would start a comment.
    case 'unary': return e.op === '-' ? `(- ${p(e.arg)})` : `(NOT ${p(e.arg)})`
    case 'binary': return `(${p(e.left)} ${e.op} ${p(e.right)})`
    case 'isNull': return `(${p(e.arg)} IS ${e.not ? 'NOT ' : ''}NULL)`
    case 'between': return `(${p(e.arg)} ${e.not ? 'NOT ' : ''}BETWEEN ${p(e.low)} AND ${p(e.high)})`
    case 'in': return `(${p(e.arg)} ${e.global ? 'GLOBAL ' : ''}${e.not ? 'NOT ' : ''}IN ${printIn(e.set, ctes)})`
    case 'case':
      return `CASE${e.operand ? ` ${p(e.operand)}` : ''} ${e.whens.map((w) => `WHEN ${p(w.when)} THEN ${p(w.then)}`).join(' ')}${e.else ? ` ELSE ${p(e.else)}` : ''} END`
    case 'cast': return `CAST(${p(e.arg)} AS ${printType(e.type)})`
    case 'interval': return `INTERVAL ${p(e.value)} ${/^[A-Z]+$/.test(e.unit) ? e.unit : bad('an interval unit')}`
    case 'array': return `[${e.items.map(p).join(', ')}]`
    case 'tuple': return e.items.length > 1 ? `(${e.items.map(p).join(', ')})` : bad('a tuple of one')
    case 'index': return `${p(e.arg)}[${p(e.index)}]`
    case 'lambda': return `(${e.params.map(quoteName).join(', ')}) -> ${p(e.body)}`
    case 'call': {
      const name = resolveFunction(e.name, e.at)
      const params = e.params ? `(${e.params.map(p).join(', ')})` : ''
      const over = e.over ? ` OVER ${printWindow(e.over, ctes)}` : ''
      return `${name}${params}(${e.distinct ? 'DISTINCT ' : ''}${e.args.map(p).join(', ')})${over}`
    }
    case 'subquery': return `(${printQuery(e.query, ctes)})`
    case 'exists': return `EXISTS (${printQuery(e.query, ctes)})`
    default: return bad('an unknown expression')
  }
}
