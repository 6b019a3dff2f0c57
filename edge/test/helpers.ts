// Shared set-up for the edge's component tests. The tests that run a gateway against a real core
// live in the e2e package (e2e/test/helpers.ts starts both).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `neva-${prefix}-`))
