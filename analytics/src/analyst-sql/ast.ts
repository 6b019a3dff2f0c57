// The typed tree of analyst SQL. Only what the grammar accepts can be represented, and the SQL
// that runs is printed from this tree (printer.ts), never copied from the request.
// `at` fields are offsets in the original text, for error messages only.

/** A ClickHouse type, from the small type grammar (types.ts). */
export interface TypeNode {
  name: string
  args: Array<TypeNode | { k: 'number'; text: string } | { k: 'string'; value: string }>
}

export type Expr =
  | { k: 'number'; text: string }
  | { k: 'string'; value: string }
  | { k: 'null' }
  | { k: 'bool'; value: boolean }
  /** A column, or `alias.column`; up to three validated names. */
  | { k: 'column'; parts: string[] }
  /** `*` or `t.*` as a function argument or in a select list. */
  | { k: 'star'; table?: string[] | undefined }
  | { k: 'param'; name: string; type: TypeNode }
  | { k: 'unary'; op: '-' | 'NOT'; arg: Expr }
  | { k: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { k: 'isNull'; not: boolean; arg: Expr }
  | { k: 'between'; not: boolean; arg: Expr; low: Expr; high: Expr }
  | { k: 'in'; not: boolean; global: boolean; arg: Expr; set: InSet }
  | { k: 'case'; operand?: Expr | undefined; whens: Array<{ when: Expr; then: Expr }>; else?: Expr | undefined }
  | { k: 'cast'; arg: Expr; type: TypeNode }
  | { k: 'interval'; value: Expr; unit: string }
  | { k: 'array'; items: Expr[] }
  /** Two or more elements: one element in parentheses is just that element. */
  | { k: 'tuple'; items: Expr[] }
  | { k: 'index'; arg: Expr; index: Expr }
  | { k: 'tupleElement'; arg: Expr; index: string }
  | { k: 'lambda'; params: string[]; body: Expr }
  | { k: 'call'; name: string; params?: Expr[] | undefined; distinct: boolean; args: Expr[]; over?: Window | undefined; at: number }
  | { k: 'subquery'; query: Query }
  | { k: 'exists'; query: Query }

export type BinaryOp = 'OR' | 'AND' | '=' | '!=' | '<' | '>' | '<=' | '>=' | 'LIKE' | 'ILIKE' | 'NOT LIKE' | 'NOT ILIKE' | '||' | '+' | '-' | '*' | '/' | '%'

/** What IN may look in: never a bare name, which ClickHouse would read as a table. */
export type InSet =
  | { k: 'list'; items: Expr[] }
  | { k: 'subquery'; query: Query }
  | { k: 'array'; items: Expr[] }
  | { k: 'param'; name: string; type: TypeNode }

export interface Window {
  partitionBy: Expr[]
  orderBy: OrderItem[]
  frame?: { unit: 'ROWS' | 'RANGE'; start: FrameBound; end?: FrameBound | undefined } | undefined
}

export type FrameBound = { k: 'unbounded'; dir: 'PRECEDING' | 'FOLLOWING' } | { k: 'current' } | { k: 'offset'; n: string; dir: 'PRECEDING' | 'FOLLOWING' }

export interface OrderItem {
  expr: Expr
  desc: boolean
  nulls?: 'FIRST' | 'LAST' | undefined
}

export interface SelectItem {
  expr: Expr
  alias?: string | undefined
}

export type TableExpr =
  | { k: 'table'; parts: string[]; alias?: string | undefined; at: number }
  | { k: 'subquery'; query: Query; alias?: string | undefined }
  | { k: 'function'; name: string; args: Expr[]; alias?: string | undefined; at: number }

export type Join =
  | { k: 'join'; global: boolean; strictness?: 'ANY' | 'ALL' | 'ASOF' | 'SEMI' | 'ANTI' | undefined; type: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS' | 'COMMA'; table: TableExpr; on?: Expr | undefined; using?: string[] | undefined }
  | { k: 'arrayJoin'; left: boolean; items: SelectItem[] }

/** `WITH name AS (query)` or `WITH expr AS name`. */
export type WithItem = { k: 'cte'; name: string; query: Query } | { k: 'expr'; expr: Expr; alias: string }

export interface Select {
  k: 'select'
  with: WithItem[]
  distinct: boolean
  items: SelectItem[]
  from?: { first: TableExpr; joins: Join[] } | undefined
  prewhere?: Expr | undefined
  where?: Expr | undefined
  groupBy?: { exprs: Expr[]; rollup?: 'ROLLUP' | 'CUBE' | undefined; totals: boolean } | undefined
  having?: Expr | undefined
  qualify?: Expr | undefined
  orderBy: OrderItem[]
  limitBy?: { limit: Expr; offset?: Expr | undefined; by: Expr[] } | undefined
  limit?: { limit: Expr; offset?: Expr | undefined } | undefined
}

export type SetOp = 'UNION ALL' | 'UNION DISTINCT' | 'INTERSECT' | 'INTERSECT DISTINCT' | 'EXCEPT' | 'EXCEPT DISTINCT'

/** One SELECT, or several joined by set operators (each keeps its own ORDER BY / LIMIT, as in ClickHouse). */
export type Query = Select | { k: 'union'; first: Query; rest: Array<{ op: SetOp; query: Query }> }

/** What an analyst may send: a query, or the two questions Neva answers itself. */
export type Statement = { k: 'query'; query: Query } | { k: 'showTables' } | { k: 'describe'; table: string; at: number }
