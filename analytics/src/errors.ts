// Error catalog of @neva/analytics: every code the package throws, declared once with its meaning.
// The analyst path's codes also carry an outcome, which the audit records.
import { ANALYST_DATABASE } from './analyst-sql/views.js'

export const ANALYST_ERRORS = {
  NEVA_ANALYST_SYNTAX: { outcome: 'refused', message: 'not analyst SQL (see docs/security/analyst-sql.md for the grammar)' },
  NEVA_ANALYST_NOT_A_READ: { outcome: 'refused', message: 'only reads are allowed (one SELECT)' },
  NEVA_ANALYST_SETTINGS: { outcome: 'refused', message: 'a SETTINGS clause is not allowed; limits are set by Neva' },
  NEVA_ANALYST_TABLE: { outcome: 'refused', message: `only the ${ANALYST_DATABASE} views may be read` },
  NEVA_ANALYST_TABLE_FUNCTION: { outcome: 'refused', message: 'this table function is not allowed (analyst SQL is readonly and reads only the analyst views)' },
  NEVA_ANALYST_FUNCTION: { outcome: 'refused', message: 'this function is not in the analyst function allowlist' },
  NEVA_ANALYST_TYPE: { outcome: 'refused', message: 'this type is not allowed in analyst SQL' },
  NEVA_ANALYST_PARAM: { outcome: 'refused', message: 'bad query parameter' },
  NEVA_ANALYST_LIMIT: { outcome: 'limit', message: 'the query exceeded a limit' },
  NEVA_ANALYST_FAILED: { outcome: 'failed', message: 'ClickHouse refused the query' },
  NEVA_ANALYST_NO_USER: { outcome: 'refused', message: 'analyst SQL on a ClickHouse server needs its own user: set CLICKHOUSE_ANALYST_USER and CLICKHOUSE_ANALYST_PASSWORD (see docs/security/analyst-sql.md)' },
  NEVA_ANALYST_AUDIT_UNAVAILABLE: { outcome: 'failed', message: 'the audit trail cannot be written, so no query runs' },
} as const

export type AnalystErrorCode = keyof typeof ANALYST_ERRORS
export type AnalystOutcome = 'ok' | (typeof ANALYST_ERRORS)[AnalystErrorCode]['outcome']

export class AnalystError extends Error {
  readonly code: AnalystErrorCode
  readonly outcome: AnalystOutcome
  constructor(code: AnalystErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${ANALYST_ERRORS[code].message}: ${detail}` : ANALYST_ERRORS[code].message, options)
    this.name = 'AnalystError'
    this.code = code
    this.outcome = ANALYST_ERRORS[code].outcome
  }
}


/** The alarm store (alarm-store.ts): acknowledgements refused. */
export const ALARM_STORE_ERRORS = {
  NEVA_ALARM_UNKNOWN: 'no alarm with this id has been stored',
  NEVA_ALARM_BAD_INPUT: 'the alarm id, user or note is empty or too long',
} as const
export type AlarmStoreErrorCode = keyof typeof ALARM_STORE_ERRORS

export class AlarmStoreError extends Error {
  constructor(readonly code: AlarmStoreErrorCode, detail: string) {
    super(`${ALARM_STORE_ERRORS[code]}: ${detail}`)
  }
}

/** The connection (connection.ts): a ClickHouse setting refused before any SQL is sent. */
export const CLICKHOUSE_ERRORS = {
  NEVA_CLICKHOUSE_UNSAFE_SETTING: 'a setting name or value outside the strict pattern (settings reach the embedded engine as SQL text)',
} as const
export type ClickHouseErrorCode = keyof typeof CLICKHOUSE_ERRORS

export class UnsafeSettingError extends Error {
  readonly code: ClickHouseErrorCode = 'NEVA_CLICKHOUSE_UNSAFE_SETTING'
  constructor(readonly setting: string, detail: string) {
    super(`refused ClickHouse setting ${JSON.stringify(setting.slice(0, 64))}: ${detail} (settings are sent to the embedded engine as SQL text)`)
  }
}
