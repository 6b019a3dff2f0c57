// Which pending orders an analyzer taking downloads is sent: each order trimmed to the tests the
// analyzer runs (its `runs_tests` lab codes), dropped when none is left. A city lab has several
// analyzers on one gateway; each gets its part of a tube's order, and the results of all find
// the one order at the core (matched by specimen and test).
import type { AstmOrderAnswer } from '@neva/firmware-adapters'

export function ordersFor(pending: readonly AstmOrderAnswer[], runsTests: readonly string[] | undefined): AstmOrderAnswer[] {
  if (!runsTests) return [...pending]
  const runs = new Set(runsTests)
  const out: AstmOrderAnswer[] = []
  for (const order of pending) {
    const tests = order.tests.filter((t) => runs.has(t))
    if (tests.length > 0) out.push(tests.length === order.tests.length ? order : { ...order, tests })
  }
  return out
}

/** A host query's order, trimmed the same way (undefined when the analyzer runs none of its tests). */
export function lookupFor(order: AstmOrderAnswer | undefined, runsTests: readonly string[] | undefined): AstmOrderAnswer | undefined {
  return order ? ordersFor([order], runsTests)[0] : undefined
}
