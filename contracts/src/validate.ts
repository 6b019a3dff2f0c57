// Compiled validators with error messages that name the offending field.
import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

export interface Validator<T extends TSchema> {
  check(value: unknown): value is Static<T>
  /** First problem found, as "path: message", or undefined when valid. */
  explain(value: unknown): string | undefined
}

export function validator<T extends TSchema>(schema: T): Validator<T> {
  const compiled = TypeCompiler.Compile(schema)
  return {
    check: (value: unknown): value is Static<T> => compiled.Check(value),
    explain(value: unknown) {
      const first = compiled.Errors(value).First()
      return first ? `${first.path || '/'}: ${first.message}` : undefined
    },
  }
}
