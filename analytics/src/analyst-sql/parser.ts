// A recursive-descent parser for analyst SQL: one read-only ClickHouse SELECT (or SHOW TABLES,
// DESCRIBE view) into the tree of ast.ts. Whatever it cannot classify is refused with the token
// and its offset. Operator precedence follows ClickHouse's own table (ExpressionListParsers.cpp):
// OR < AND < NOT < IS NULL < BETWEEN < comparison, LIKE, IN < || < + - < * / % < unary - < . [] ::
// The printer parenthesizes every operator, so the text that runs cannot be read another way.
import type { BinaryOp, Expr, FrameBound, InSet, Join, OrderItem, Query, Select, SelectItem, SetOp, Statement, TableExpr, TypeNode, Window, WithItem } from './ast.js'
import { AnalystError } from '../errors.js'
import { resolveFunction, resolveTableFunction } from './functions.js'
import { show, syntaxError, tokenize, type Token } from './lexer.js'
import { resolveType } from './types.js'

/** Words that end an expression or a list: never read as an implicit alias or a column. */
const RESERVED = new Set(`
  ALL AND ANTI ANY ARRAY AS ASC ASCENDING ASOF BETWEEN BY CASE CAST CROSS CUBE DESC DESCENDING DISTINCT ELSE END EXCEPT EXISTS FETCH FINAL
  FORMAT FROM FULL GLOBAL GROUP HAVING ILIKE IN INNER INTERSECT INTERVAL INTO IS JOIN LEFT LIKE LIMIT NOT NULL NULLS OFFSET ON OR ORDER
  OUTER OVER PARTITION PREWHERE QUALIFY RIGHT ROLLUP SAMPLE SELECT SEMI SETTINGS THEN TOTALS UNION USING WHEN WHERE WINDOW WITH
`.split(/\s+/).filter(Boolean))

const INTERVAL_UNITS = new Set(['NANOSECOND', 'MICROSECOND', 'MILLISECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'])
const COMPARISONS: Record<string, BinaryOp> = { '=': '=', '==': '=', '!=': '!=', '<>': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=' }

export function parseStatement(sql: string): Statement {
  return new Parser(tokenize(sql)).statement()
}

/** Parses a query alone (used by the round-trip tests on printed text). */
export function parseQuery(sql: string): Query {
  const statement = parseStatement(sql)
  if (statement.k !== 'query') throw syntaxError('not a query', 0)
  return statement.query
}

class Parser {
  private pos = 0
  constructor(private readonly tokens: Token[]) {}

  // ── tokens ──
  private peek(o = 0): Token {
    return this.tokens[Math.min(this.pos + o, this.tokens.length - 1)]!
  }
  private next(): Token {
    const t = this.peek()
    if (t.kind !== 'eof') this.pos++
    return t
  }
  private isWord(w: string, o = 0): boolean {
    const t = this.peek(o)
    return t.kind === 'word' && t.text.toUpperCase() === w
  }
  private isPunct(p: string, o = 0): boolean {
    const t = this.peek(o)
    return t.kind === 'punct' && t.text === p
  }
  private acceptWord(w: string): boolean {
    if (!this.isWord(w)) return false
    this.pos++
    return true
  }
  private acceptPunct(p: string): boolean {
    if (!this.isPunct(p)) return false
    this.pos++
    return true
  }
  private expectWord(w: string): void {
    if (!this.acceptWord(w)) this.unexpected(`expected ${w}`)
  }
  private expectPunct(p: string): void {
    if (!this.acceptPunct(p)) this.unexpected(`expected ${show(p)}`)
  }
  /** Refuses the current token; SETTINGS, FORMAT and INTO get their own reasons wherever they are. */
  private unexpected(why?: string): never {
    const t = this.peek()
    if (this.isWord('SETTINGS')) throw new AnalystError('NEVA_ANALYST_SETTINGS', `SETTINGS at offset ${t.at}`)
    if (this.isWord('INTO')) throw new AnalystError('NEVA_ANALYST_NOT_A_READ', `INTO (a SELECT may not write a file or a table) at offset ${t.at}`)
    if (this.isWord('FORMAT')) throw syntaxError('FORMAT (results come back as JSON)', t.at)
    const what = t.kind === 'eof' ? 'end of query' : t.kind === 'string' ? 'a string' : t.kind === 'quoted' ? `\`${t.text}\`` : show(t.text)
    throw syntaxError(`unexpected ${what}${why ? ` (${why})` : ''}`, t.at)
  }
  /** A name: a word that is not a keyword here, or a quoted name (already validated by the lexer). */
  private isName(o = 0): boolean {
    const t = this.peek(o)
    return t.kind === 'quoted' || (t.kind === 'word' && !RESERVED.has(t.text.toUpperCase()))
  }
  private name(): string {
    if (!this.isName()) this.unexpected('expected a name')
    return this.next().text
  }
  private startsQuery(o = 0): boolean {
    return this.isWord('SELECT', o) || this.isWord('WITH', o) || (this.isPunct('(', o) && this.startsQuery(o + 1))
  }
  /**
   * After "(": a query through ")", else `orElse()` from the same token, as in `((SELECT 1) + 1)`
   * where the parenthesis holds an expression. When both fail, the query's error is the one shown.
   */
  private queryOr<T>(orElse: () => T): { k: 'subquery'; query: Query } | T {
    const save = this.pos
    if (!this.startsQuery() || this.notAQuery.has(save)) return orElse()
    try {
      const query = this.query()
      this.expectPunct(')')
      return { k: 'subquery', query }
    } catch (queryError) {
      this.pos = save
      // Remembered, so nested parentheses are not retried at every level (exponential).
      this.notAQuery.add(save)
      try {
        return orElse()
      } catch {
        throw queryError
      }
    }
  }
  private readonly notAQuery = new Set<number>()
  /** Nesting depth: deep nesting is refused before it can exhaust the stack. */
  private depth = 0
  private nested<T>(f: () => T): T {
    if (++this.depth > 64) throw syntaxError('nested too deeply', this.peek().at)
    try {
      return f()
    } finally {
      this.depth--
    }
  }
  private list<T>(item: () => T): T[] {
    const out = [item()]
    while (this.acceptPunct(',')) out.push(item())
    return out
  }

  // ── statements ──
  statement(): Statement {
    const t = this.peek()
    if (t.kind === 'eof') throw syntaxError('empty query', 0)
    let statement: Statement
    if (this.acceptWord('SHOW')) {
      this.expectWord('TABLES')
      if (this.acceptWord('FROM') || this.acceptWord('IN')) {
        if (this.name() !== 'analyst') throw new AnalystError('NEVA_ANALYST_TABLE', `SHOW TABLES lists the analyst views only (at offset ${t.at})`)
      }
      statement = { k: 'showTables' }
    } else if (this.acceptWord('DESCRIBE') || this.acceptWord('DESC')) {
      this.acceptWord('TABLE')
      const at = this.peek().at
      const parts = [this.name()]
      if (this.acceptPunct('.')) parts.push(this.name())
      if (parts.length === 2 && parts[0] !== 'analyst') throw new AnalystError('NEVA_ANALYST_TABLE', `${parts.join('.')} at offset ${at} is outside the analyst database`)
      statement = { k: 'describe', table: parts[parts.length - 1]!, at }
    } else if (this.startsQuery()) {
      statement = { k: 'query', query: this.query() }
    } else if (t.kind === 'word') {
      throw new AnalystError('NEVA_ANALYST_NOT_A_READ', `${t.text.toUpperCase()} at offset ${t.at}: analyst SQL is one SELECT, SHOW TABLES or DESCRIBE`)
    } else this.unexpected('expected SELECT')
    if (this.peek().kind !== 'eof') this.unexpected('expected the end of the query')
    return statement
  }

  // ── queries ──
  private query(): Query {
    return this.nested(() => this.union())
  }
  private union(): Query {
    const first = this.queryElement()
    const rest: Array<{ op: SetOp; query: Query }> = []
    for (let op = this.setOp(); op; op = this.setOp()) rest.push({ op, query: this.queryElement() })
    return rest.length ? { k: 'union', first, rest } : first
  }

  private queryElement(): Query {
    if (this.isPunct('(')) {
      this.next()
      const q = this.query()
      this.expectPunct(')')
      return q
    }
    return this.select()
  }

  private setOp(): SetOp | undefined {
    const at = this.peek().at
    if (this.acceptWord('UNION')) {
      if (this.acceptWord('ALL')) return 'UNION ALL'
      if (this.acceptWord('DISTINCT')) return 'UNION DISTINCT'
      throw syntaxError('UNION needs ALL or DISTINCT', at)
    }
    if (this.acceptWord('INTERSECT')) return this.acceptWord('DISTINCT') ? 'INTERSECT DISTINCT' : 'INTERSECT'
    if (this.acceptWord('EXCEPT')) return this.acceptWord('DISTINCT') ? 'EXCEPT DISTINCT' : 'EXCEPT'
    return undefined
  }

  private select(): Select {
    const withItems: WithItem[] = this.acceptWord('WITH') ? this.list(() => this.withItem()) : []
    this.expectWord('SELECT')
    const distinct = this.acceptWord('DISTINCT')
    const s: Select = { k: 'select', with: withItems, distinct, items: this.list(() => this.selectItem()), orderBy: [] }
    if (this.acceptWord('FROM')) {
      const first = this.tableExpr()
      const joins: Join[] = []
      for (let j = this.join(); j; j = this.join()) joins.push(j)
      s.from = { first, joins }
    }
    if (this.acceptWord('PREWHERE')) s.prewhere = this.expr()
    if (this.acceptWord('WHERE')) s.where = this.expr()
    if (this.acceptWord('GROUP')) {
      this.expectWord('BY')
      const exprs = this.list(() => this.expr())
      let rollup: 'ROLLUP' | 'CUBE' | undefined
      let totals = false
      while (this.isWord('WITH')) {
        this.next()
        if (!rollup && !totals && this.acceptWord('ROLLUP')) rollup = 'ROLLUP'
        else if (!rollup && !totals && this.acceptWord('CUBE')) rollup = 'CUBE'
        else if (!totals && this.acceptWord('TOTALS')) totals = true
        else this.unexpected('expected ROLLUP, CUBE or TOTALS')
      }
      s.groupBy = { exprs, rollup, totals }
    }
    if (this.acceptWord('HAVING')) s.having = this.expr()
    if (this.acceptWord('QUALIFY')) s.qualify = this.expr()
    if (this.acceptWord('ORDER')) {
      this.expectWord('BY')
      s.orderBy = this.list(() => this.orderItem())
    }
    if (this.acceptWord('LIMIT')) {
      let limit = this.limitValue()
      let offset: Expr | undefined
      if (this.acceptPunct(',')) [offset, limit] = [limit, this.limitValue()]
      else if (this.acceptWord('OFFSET')) offset = this.limitValue()
      if (this.acceptWord('BY')) {
        s.limitBy = { limit, offset, by: this.list(() => this.expr()) }
        if (this.acceptWord('LIMIT')) {
          limit = this.limitValue()
          offset = undefined
          if (this.acceptPunct(',')) [offset, limit] = [limit, this.limitValue()]
          else if (this.acceptWord('OFFSET')) offset = this.limitValue()
          s.limit = { limit, offset }
        }
      } else s.limit = { limit, offset }
    }
    return s
  }

  private withItem(): WithItem {
    // `name AS (SELECT …)` is a common table expression; anything else is `expr AS name`.
    if (this.isName() && this.isWord('AS', 1) && this.isPunct('(', 2) && this.startsQuery(3)) {
      const name = this.name()
      this.next()
      this.next()
      const query = this.query()
      this.expectPunct(')')
      return { k: 'cte', name, query }
    }
    const expr = this.expr()
    this.expectWord('AS')
    return { k: 'expr', expr, alias: this.name() }
  }

  private selectItem(): SelectItem {
    if (this.acceptPunct('*')) return { expr: { k: 'star' } }
    if (this.isName() && this.isPunct('.', 1) && this.isPunct('*', 2)) {
      const table = [this.name()]
      this.next()
      this.next()
      return { expr: { k: 'star', table } }
    }
    const expr = this.expr()
    return { expr, alias: this.alias() }
  }

  /** `AS name`, or a bare name that is not a keyword. */
  private alias(): string | undefined {
    if (this.acceptWord('AS')) return this.name()
    return this.isName() ? this.name() : undefined
  }

  private orderItem(): OrderItem {
    const expr = this.expr()
    const desc = this.acceptWord('DESC') || this.acceptWord('DESCENDING')
    if (!desc) this.acceptWord('ASC') || this.acceptWord('ASCENDING')
    let nulls: 'FIRST' | 'LAST' | undefined
    if (this.acceptWord('NULLS')) {
      if (this.acceptWord('FIRST')) nulls = 'FIRST'
      else if (this.acceptWord('LAST')) nulls = 'LAST'
      else this.unexpected('expected FIRST or LAST')
    }
    return { expr, desc, nulls }
  }

  private limitValue(): Expr {
    const t = this.peek()
    if (t.kind === 'number' && /^[0-9]+$/.test(t.text)) return { k: 'number', text: this.next().text }
    if (this.isPunct('{')) return this.param()
    this.unexpected('a limit is a whole number or a parameter')
  }

  // ── FROM ──
  private tableExpr(): TableExpr {
    const at = this.peek().at
    if (this.acceptPunct('(')) {
      if (!this.startsQuery()) this.unexpected('expected a subquery')
      const query = this.query()
      this.expectPunct(')')
      return { k: 'subquery', query, alias: this.alias() }
    }
    const first = this.name()
    if (this.isPunct('(')) {
      const name = resolveTableFunction(first, at)
      this.next()
      const args = this.isPunct(')') ? [] : this.list(() => this.expr())
      this.expectPunct(')')
      return { k: 'function', name, args, alias: this.alias(), at }
    }
    const parts = [first]
    while (this.acceptPunct('.')) parts.push(this.name())
    return { k: 'table', parts, alias: this.alias(), at }
  }

  private join(): Join | undefined {
    if (this.acceptPunct(',')) return { k: 'join', global: false, type: 'COMMA', table: this.tableExpr() }
    if (this.isWord('ARRAY') || (this.isWord('LEFT') && this.isWord('ARRAY', 1))) {
      const left = this.acceptWord('LEFT')
      this.expectWord('ARRAY')
      this.expectWord('JOIN')
      return { k: 'arrayJoin', left, items: this.list(() => ({ expr: this.expr(), alias: this.alias() })) }
    }
    const start = this.pos
    const global = this.acceptWord('GLOBAL')
    let strictness: 'ANY' | 'ALL' | 'ASOF' | 'SEMI' | 'ANTI' | undefined
    let type: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS' | undefined
    for (;;) {
      const w = this.peek().kind === 'word' ? this.peek().text.toUpperCase() : ''
      if (!strictness && (w === 'ANY' || w === 'ALL' || w === 'ASOF' || w === 'SEMI' || w === 'ANTI')) strictness = w
      else if (!type && (w === 'INNER' || w === 'LEFT' || w === 'RIGHT' || w === 'FULL' || w === 'CROSS')) {
        type = w
        if (type !== 'INNER' && type !== 'CROSS') { this.next(); this.acceptWord('OUTER'); continue }
      } else break
      this.next()
    }
    if (!this.acceptWord('JOIN')) {
      if (this.pos !== start) this.unexpected('expected JOIN')
      return undefined
    }
    type ??= 'INNER'
    const table = this.tableExpr()
    if (type === 'CROSS') return { k: 'join', global, strictness, type, table }
    if (this.acceptWord('ON')) return { k: 'join', global, strictness, type, table, on: this.expr() }
    if (this.acceptWord('USING')) {
      let using: string[]
      if (this.acceptPunct('(')) {
        using = this.list(() => this.name())
        this.expectPunct(')')
      } else using = [this.name()]
      return { k: 'join', global, strictness, type, table, using }
    }
    this.unexpected('a JOIN needs ON or USING')
  }

  // ── expressions, lowest precedence first ──
  expr(): Expr {
    let left = this.and()
    while (this.acceptWord('OR')) left = { k: 'binary', op: 'OR', left, right: this.and() }
    return left
  }
  private and(): Expr {
    let left = this.not()
    while (this.acceptWord('AND')) left = { k: 'binary', op: 'AND', left, right: this.not() }
    return left
  }
  private not(): Expr {
    if (this.acceptWord('NOT')) return { k: 'unary', op: 'NOT', arg: this.not() }
    return this.isNull()
  }
  private isNull(): Expr {
    let arg = this.between()
    while (this.acceptWord('IS')) {
      const not = this.acceptWord('NOT')
      this.expectWord('NULL')
      arg = { k: 'isNull', not, arg }
    }
    return arg
  }
  private between(): Expr {
    const arg = this.comparison()
    const not = this.isWord('NOT') && this.isWord('BETWEEN', 1)
    if (!not && !this.isWord('BETWEEN')) return arg
    if (not) this.next()
    this.next()
    const low = this.comparison()
    this.expectWord('AND')
    return { k: 'between', not, arg, low, high: this.comparison() }
  }
  private comparison(): Expr {
    let left = this.concat()
    for (;;) {
      const t = this.peek()
      const op = t.kind === 'punct' ? COMPARISONS[t.text] : undefined
      if (op) {
        this.next()
        left = { k: 'binary', op, left, right: this.concat() }
        continue
      }
      const save = this.pos
      const global = this.acceptWord('GLOBAL')
      const not = this.isWord('NOT') && (this.isWord('LIKE', 1) || this.isWord('ILIKE', 1) || this.isWord('IN', 1)) && this.acceptWord('NOT')
      if (!global && this.acceptWord('LIKE')) left = { k: 'binary', op: not ? 'NOT LIKE' : 'LIKE', left, right: this.concat() }
      else if (!global && this.acceptWord('ILIKE')) left = { k: 'binary', op: not ? 'NOT ILIKE' : 'ILIKE', left, right: this.concat() }
      else if (this.acceptWord('IN')) left = { k: 'in', not, global, arg: left, set: this.inSet() }
      else {
        this.pos = save
        return left
      }
    }
  }
  /** What follows IN: a list, a subquery, an array or a parameter, never a bare name (a table). */
  private inSet(): InSet {
    if (this.isPunct('{')) {
      const p = this.param()
      return { k: 'param', name: p.name, type: p.type }
    }
    if (this.isPunct('[')) return { k: 'array', items: this.array() }
    if (!this.isPunct('(')) this.unexpected('IN takes a parenthesized list, a subquery, an array or a parameter')
    this.next()
    return this.nested(() => this.queryOr((): InSet => {
      const items = this.list(() => this.expr())
      this.expectPunct(')')
      return { k: 'list', items }
    }))
  }
  private concat(): Expr {
    let left = this.additive()
    while (this.acceptPunct('||')) left = { k: 'binary', op: '||', left, right: this.additive() }
    return left
  }
  private additive(): Expr {
    let left = this.multiplicative()
    for (let op = this.peek().text; this.peek().kind === 'punct' && (op === '+' || op === '-'); op = this.peek().text) {
      this.next()
      left = { k: 'binary', op, left, right: this.multiplicative() }
    }
    return left
  }
  private multiplicative(): Expr {
    let left = this.unary()
    for (let op = this.peek().text; this.peek().kind === 'punct' && (op === '*' || op === '/' || op === '%'); op = this.peek().text) {
      this.next()
      left = { k: 'binary', op, left, right: this.unary() }
    }
    return left
  }
  private unary(): Expr {
    if (this.acceptPunct('-')) return { k: 'unary', op: '-', arg: this.unary() }
    return this.postfix()
  }
  private postfix(): Expr {
    let e = this.primary()
    for (;;) {
      if (this.acceptPunct('[')) {
        const index = this.expr()
        this.expectPunct(']')
        e = { k: 'index', arg: e, index }
      } else if (this.isPunct('.') && this.peek(1).kind === 'number') {
        const at = this.next().at
        // `t.1` is tupleElement(t, 1): kept as the call, so it prints without ambiguity.
        e = { k: 'call', name: 'tupleElement', distinct: false, args: [e, { k: 'number', text: this.next().text }], at }
      } else if (this.acceptPunct('::')) {
        e = { k: 'cast', arg: e, type: this.type() }
      } else return e
    }
  }

  private primary(): Expr {
    const t = this.peek()
    if (t.kind === 'number') return { k: 'number', text: this.next().text }
    if (t.kind === 'string') return { k: 'string', value: this.next().text }
    if (this.isPunct('{')) return this.param()
    if (this.isPunct('[')) return { k: 'array', items: this.array() }
    if (this.acceptPunct('(')) {
      return this.nested(() => this.queryOr((): Expr => {
        const items = this.list(() => this.expr())
        this.expectPunct(')')
        return items.length === 1 ? items[0]! : { k: 'tuple', items }
      }))
    }
    if (t.kind === 'word') {
      const w = t.text.toUpperCase()
      if (w === 'NULL') { this.next(); return { k: 'null' } }
      if (w === 'TRUE' || w === 'FALSE') { this.next(); return { k: 'bool', value: w === 'TRUE' } }
      if (w === 'CASE') return this.caseExpr()
      if (w === 'CAST' && this.isPunct('(', 1)) return this.cast()
      if (w === 'INTERVAL') return this.interval()
      if (w === 'EXISTS' && this.isPunct('(', 1) && this.startsQuery(2)) {
        this.next()
        this.next()
        const query = this.query()
        this.expectPunct(')')
        return { k: 'exists', query }
      }
    }
    // A call: left(…) and right(…) are functions even though LEFT and RIGHT are keywords.
    if ((t.kind === 'word' || t.kind === 'quoted') && this.isPunct('(', 1)) return this.call()
    if (!this.isName()) this.unexpected('expected an expression')
    const parts = [this.name()]
    while (this.isPunct('.') && this.isName(1)) {
      this.next()
      parts.push(this.name())
    }
    if (parts.length > 3 || (parts.length === 3 && parts[0] !== 'analyst')) throw new AnalystError('NEVA_ANALYST_TABLE', `${parts.join('.')} at offset ${t.at}: only columns of the analyst views may be named`)
    return { k: 'column', parts }
  }

  private call(): Expr {
    const t = this.next()
    const name = resolveFunction(t.text, t.at)
    this.expectPunct('(')
    let { distinct, args } = this.callArgs()
    let params: Expr[] | undefined
    if (this.acceptPunct('(')) {
      if (distinct) this.unexpected('DISTINCT belongs in the arguments, not the parameters')
      params = args
      ;({ distinct, args } = this.callArgs())
    }
    let over: Window | undefined
    if (this.acceptWord('OVER')) over = this.window()
    return { k: 'call', name, params, distinct, args, over, at: t.at }
  }
  /** The arguments after "(", through ")": `*`, lambdas and expressions. */
  private callArgs(): { distinct: boolean; args: Expr[] } {
    const distinct = this.acceptWord('DISTINCT')
    const args = this.isPunct(')') ? [] : this.list(() => this.arg())
    this.expectPunct(')')
    return { distinct, args }
  }
  private arg(): Expr {
    if (this.acceptPunct('*')) return { k: 'star' }
    if (this.isName() && this.isPunct('->', 1)) {
      const params = [this.name()]
      this.next()
      return { k: 'lambda', params, body: this.expr() }
    }
    if (this.isPunct('(')) {
      let o = 1
      while (this.isName(o) && (this.isPunct(',', o + 1) || this.isPunct(')', o + 1))) {
        o += 2
        if (this.isPunct(')', o - 1)) break
      }
      if (o > 1 && this.isPunct(')', o - 1) && this.isPunct('->', o)) {
        this.next()
        const params = this.list(() => this.name())
        this.expectPunct(')')
        this.expectPunct('->')
        return { k: 'lambda', params, body: this.expr() }
      }
    }
    return this.expr()
  }

  private window(): Window {
    this.expectPunct('(')
    const w: Window = { partitionBy: [], orderBy: [] }
    if (this.acceptWord('PARTITION')) {
      this.expectWord('BY')
      w.partitionBy = this.list(() => this.expr())
    }
    if (this.acceptWord('ORDER')) {
      this.expectWord('BY')
      w.orderBy = this.list(() => this.orderItem())
    }
    const unit = this.acceptWord('ROWS') ? 'ROWS' : this.acceptWord('RANGE') ? 'RANGE' : undefined
    if (unit) {
      if (this.acceptWord('BETWEEN')) {
        const start = this.frameBound()
        this.expectWord('AND')
        w.frame = { unit, start, end: this.frameBound() }
      } else w.frame = { unit, start: this.frameBound() }
    }
    this.expectPunct(')')
    return w
  }
  private frameBound(): FrameBound {
    if (this.acceptWord('CURRENT')) {
      this.expectWord('ROW')
      return { k: 'current' }
    }
    const dir = () => (this.acceptWord('PRECEDING') ? 'PRECEDING' : this.acceptWord('FOLLOWING') ? 'FOLLOWING' : this.unexpected('expected PRECEDING or FOLLOWING'))
    if (this.acceptWord('UNBOUNDED')) return { k: 'unbounded', dir: dir() }
    const t = this.peek()
    if (t.kind !== 'number' || !/^[0-9]+$/.test(t.text)) this.unexpected('a frame offset is a whole number')
    this.next()
    return { k: 'offset', n: t.text, dir: dir() }
  }

  private caseExpr(): Expr {
    this.next()
    const operand = this.isWord('WHEN') ? undefined : this.expr()
    const whens: Array<{ when: Expr; then: Expr }> = []
    while (this.acceptWord('WHEN')) {
      const when = this.expr()
      this.expectWord('THEN')
      whens.push({ when, then: this.expr() })
    }
    if (!whens.length) this.unexpected('expected WHEN')
    const otherwise = this.acceptWord('ELSE') ? this.expr() : undefined
    this.expectWord('END')
    return { k: 'case', operand, whens, else: otherwise }
  }
  private cast(): Expr {
    this.next()
    this.next()
    const arg = this.expr()
    let type: TypeNode
    if (this.acceptWord('AS')) type = this.type()
    else {
      // CAST(x, 'Type'): the type inside the string goes through the same type grammar.
      this.expectPunct(',')
      const s = this.peek()
      if (s.kind !== 'string') this.unexpected('expected a type name in a string')
      this.next()
      type = new Parser(tokenize(s.text)).typeAlone(s.at)
    }
    this.expectPunct(')')
    return { k: 'cast', arg, type }
  }
  private interval(): Expr {
    this.next()
    const value = this.postfix()
    const t = this.peek()
    const unit = t.kind === 'word' ? t.text.toUpperCase() : ''
    if (!INTERVAL_UNITS.has(unit)) this.unexpected('expected an interval unit (SECOND, MINUTE, HOUR, DAY…)')
    this.next()
    return { k: 'interval', value, unit }
  }
  private array(): Expr[] {
    this.expectPunct('[')
    const items = this.isPunct(']') ? [] : this.list(() => this.expr())
    this.expectPunct(']')
    return items
  }
  private param(): { k: 'param'; name: string; type: TypeNode } {
    this.expectPunct('{')
    const t = this.peek()
    if (t.kind !== 'word') this.unexpected('expected a parameter name')
    const name = this.next().text
    this.expectPunct(':')
    const type = this.type()
    this.expectPunct('}')
    return { k: 'param', name, type }
  }

  // ── types ──
  private type(): TypeNode {
    const t = this.peek()
    if (t.kind !== 'word') this.unexpected('expected a type')
    const name = resolveType(this.next().text, t.at)
    const args: TypeNode['args'] = []
    if (this.acceptPunct('(')) {
      args.push(...this.list(() => this.typeArg()))
      this.expectPunct(')')
    }
    return { name, args }
  }
  private typeArg(): TypeNode['args'][number] {
    const t = this.peek()
    if (t.kind === 'number' && /^[0-9]+$/.test(t.text)) return { k: 'number', text: this.next().text }
    if (t.kind === 'string') return { k: 'string', value: this.next().text }
    return this.type()
  }
  typeAlone(at: number): TypeNode {
    try {
      const type = this.type()
      if (this.peek().kind !== 'eof') this.unexpected('expected the end of the type')
      return type
    } catch (err) {
      if (err instanceof AnalystError && err.code === 'NEVA_ANALYST_SYNTAX') throw syntaxError('bad type in CAST', at)
      throw err
    }
  }
}
