// Errors as FHIR OperationOutcome: the core's code in details, its message in diagnostics.
import { CoreError, type CoreErrorCode } from '../errors.js'

const ISSUE_CODE: Record<number, string> = { 400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 406: 'not-supported', 429: 'throttled', 503: 'transient' }

export function operationOutcome(status: number, code: string, message: string): object {
  return {
    resourceType: 'OperationOutcome',
    issue: [{
      severity: status >= 500 ? 'fatal' : 'error',
      code: ISSUE_CODE[status] ?? 'exception',
      details: { coding: [{ system: 'urn:neva:error', code }], text: code },
      diagnostics: message,
    }],
  }
}

export const fhirError = (code: CoreErrorCode, detail?: string) => new CoreError(code, detail)
