// Analyst SQL by construction: parse with a grammar Neva owns, check the tree, print the SQL that
// runs from the tree. Nothing here talks to ClickHouse: every decision is made before a query is
// sent. See docs/security/analyst-sql.md.
import { checkQuery } from './check.js'
import { AnalystError } from '../errors.js'
import { parseStatement } from './parser.js'
import { printQuery } from './printer.js'
import { ANALYST_VIEWS } from './views.js'

export type Compiled =
  /** `sql` is printed from the tree; `tables` are the analyst views it reads ("analyst.name"). */
  | { k: 'query'; sql: string; tables: string[] }
  | { k: 'showTables' }
  | { k: 'describe'; view: string }

/** Parses, checks and prints one analyst statement; throws AnalystError, never anything else. */
export function compileAnalystSql(sql: string): Compiled {
  try {
    const statement = parseStatement(sql)
    if (statement.k === 'showTables') return statement
    if (statement.k === 'describe') {
      if (!Object.hasOwn(ANALYST_VIEWS, statement.table)) throw new AnalystError('NEVA_ANALYST_TABLE', `${statement.table} at offset ${statement.at} is not an analyst view`)
      return { k: 'describe', view: statement.table }
    }
    const tables = checkQuery(statement.query)
    return { k: 'query', sql: printQuery(statement.query), tables }
  } catch (err) {
    if (err instanceof AnalystError) throw err
    // A parser bug (e.g. a stack overflow on deep nesting) is still a refusal, never a crash.
    throw new AnalystError('NEVA_ANALYST_SYNTAX', err instanceof RangeError ? 'the query is nested too deeply' : 'the query could not be parsed', { cause: err })
  }
}

export { parseQuery, parseStatement } from './parser.js'
export { printQuery } from './printer.js'
export { checkQuery } from './check.js'
