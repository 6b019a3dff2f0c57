// The types analyst SQL may name (CAST, `::`, query parameters): an allowlist of data types.
// `Identifier` is not one of them: `{p:Identifier}` would let a parameter name a table.
import type { TypeNode } from './ast.js'
import { AnalystError } from '../errors.js'

const NAMES = `
  String FixedString UInt8 UInt16 UInt32 UInt64 UInt128 UInt256 Int8 Int16 Int32 Int64 Int128 Int256
  Float32 Float64 Decimal Decimal32 Decimal64 Decimal128 Decimal256 Bool Date Date32 DateTime DateTime64 UUID IPv4 IPv6
  Nullable Array Tuple Map LowCardinality
`
const TYPES = new Map(NAMES.split(/\s+/).filter(Boolean).map((n) => [n.toLowerCase(), n]))

/** The allowlisted spelling of a type name, or an AnalystError naming it and its offset. */
export function resolveType(name: string, at: number): string {
  const found = TYPES.get(name.toLowerCase())
  if (!found) throw new AnalystError('NEVA_ANALYST_TYPE', `${name} at offset ${at}`)
  return found
}

export function printType(t: TypeNode, quote: (s: string) => string): string {
  if (!t.args.length) return t.name
  const args = t.args.map((a) => ('k' in a ? (a.k === 'number' ? a.text : quote(a.value)) : printType(a, quote)))
  return `${t.name}(${args.join(', ')})`
}
