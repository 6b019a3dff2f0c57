// The tokenizer of analyst SQL. Strict on purpose: anything it does not know (a backslash, `;`,
// `#`, a non-ASCII letter outside a string, an unterminated string or comment) is refused with
// the token and its offset, never guessed at. Comments are dropped here, so they cannot split or
// hide a token from the parser: what the parser sees is what gets printed.
import { AnalystError } from '../errors.js'

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct' | 'eof'

export interface Token {
  kind: TokenKind
  /** word: as written; quoted: the name inside the quotes; string: the decoded value; number, punct: as written. */
  text: string
  /** Offset in the query text (UTF-16 code units), for error messages. */
  at: number
}

/** The only identifier shape analyst SQL knows, quoted or not: the printer backquotes it again. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

const PUNCT = ['::', '->', '||', '<=', '>=', '<>', '!=', '==', '(', ')', '[', ']', ',', '.', '*', '+', '-', '/', '%', '=', '<', '>', '{', '}', ':']
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', '`': '`', n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f' }

export function syntaxError(what: string, at: number): AnalystError {
  return new AnalystError('NEVA_ANALYST_SYNTAX', `${what} at offset ${at}`)
}

/** A short, printable rendering of a piece of the query for an error message. */
export function show(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
}

export function tokenize(sql: string): Token[] {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(sql)) throw syntaxError('malformed Unicode (a lone surrogate)', 0)
  const tokens: Token[] = []
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') { i++; continue }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++
      continue
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      if (end < 0) throw syntaxError('unterminated /* comment', i)
      // ClickHouse nests /* */ comments; a nested opener would make the two readings differ.
      if (sql.slice(i + 2, end).includes('/*')) throw syntaxError('nested /* comment', i)
      i = end + 2
      continue
    }
    const at = i
    if (/[A-Za-z_]/.test(c)) {
      while (i < n && /[A-Za-z0-9_]/.test(sql[i]!)) i++
      // A word glued to a quote or to a non-ASCII letter is not a word analyst SQL knows.
      if (i < n && /[^\x00-\x7f]/.test(sql[i]!)) throw syntaxError(`non-ASCII character ${show(sql[i]!)} in a name`, i)
      tokens.push({ kind: 'word', text: sql.slice(at, i), at })
      continue
    }
    const prev = tokens[tokens.length - 1]
    const afterOperand = prev !== undefined && (prev.kind === 'word' || prev.kind === 'quoted' || prev.kind === 'number' || (prev.kind === 'punct' && (prev.text === ')' || prev.text === ']')))
    // `t.1` is a tuple element: after a name or a bracket a dot is the operator, not a fraction.
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? '') && !afterOperand)) {
      const afterDot = prev?.kind === 'punct' && prev.text === '.'
      const m = afterDot
        ? /^[0-9]+/.exec(sql.slice(i))
        : /^(0x[0-9A-Fa-f]+|0b[01]+|([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)/.exec(sql.slice(i))
      if (!m) throw syntaxError(`bad number ${show(sql.slice(i, i + 10))}`, i)
      i += m[0].length
      // Glued to a letter or another dot it is not a number (`t.1.2` is two tuple elements).
      if (i < n && (afterDot ? /[A-Za-z0-9_\x80-\uffff]/ : /[A-Za-z0-9_.\x80-\uffff]/).test(sql[i]!)) throw syntaxError(`bad number ${show(sql.slice(at, i + 1))}`, at)
      tokens.push({ kind: 'number', text: m[0], at })
      continue
    }
    if (c === "'" || c === '`' || c === '"') {
      let value = ''
      i++
      for (;;) {
        if (i >= n) throw syntaxError(`unterminated ${c === "'" ? 'string' : 'quoted name'}`, at)
        const d = sql[i]!
        if (d === c) {
          if (sql[i + 1] === c) { value += c; i += 2; continue }
          i++
          break
        }
        if (d === '\\') {
          const e = sql[i + 1] ?? ''
          if (e === 'x' && /^[0-9A-Fa-f]{2}$/.test(sql.slice(i + 2, i + 4))) {
            const code = parseInt(sql.slice(i + 2, i + 4), 16)
            // A byte above 0x7f is half of a UTF-8 sequence: it cannot be kept as a JS string.
            if (code > 0x7f) throw syntaxError(`escape \\x${sql.slice(i + 2, i + 4)} (a byte above 0x7f)`, i)
            value += String.fromCharCode(code)
            i += 4
            continue
          }
          const decoded = ESCAPES[e]
          if (decoded === undefined) throw syntaxError(`unknown escape ${show(`\\${e}`)}`, i)
          value += decoded
          i += 2
          continue
        }
        value += d
        i++
      }
      if (c === "'") tokens.push({ kind: 'string', text: value, at })
      else {
        if (!IDENTIFIER.test(value)) throw syntaxError(`quoted name ${show(value)} (names are letters, digits and _)`, at)
        tokens.push({ kind: 'quoted', text: value, at })
      }
      continue
    }
    const p = PUNCT.find((op) => sql.startsWith(op, i))
    if (p) {
      tokens.push({ kind: 'punct', text: p, at })
      i += p.length
      continue
    }
    if (c === ';') throw syntaxError('`;`: analyst SQL is one statement, without a semicolon', i)
    throw syntaxError(`unexpected character ${show(c)}`, i)
  }
  tokens.push({ kind: 'eof', text: '', at: n })
  return tokens
}
