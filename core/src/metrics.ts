// Prometheus metrics of one core instance (own registry, so tests can run several cores).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export function createCoreMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'neva_core_' })
  return {
    registry,
    batches: new Counter({
      name: 'neva_core_ingest_batches_total',
      help: 'Ingest batches by outcome (stored, duplicate, invalid, unauthorized, unavailable)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    rows: new Counter({
      name: 'neva_core_ingest_rows_total',
      help: 'Rows stored in ClickHouse by kind (its batch field: observations, triage, rejected, lab_results, …)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    transportsRefused: new Counter({
      name: 'neva_core_transports_refused_total',
      help: 'Transports kept aside (stored as rejected readings) because their gateway is not bound to the destination site',
      labelNames: ['gateway'] as const,
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'neva_core_ingest_duration_seconds',
      help: 'Time from a batch arriving to ClickHouse committing it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    logins: new Counter({
      name: 'neva_core_logins_total',
      help: 'Login attempts by outcome (ok, wrong_password, unknown_user, disabled, rate_limited)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'neva_core_auth_refusals_total',
      help: 'Requests refused by the people locks, by code (unauthenticated, forbidden, csrf, oidc)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    recordViews: new Counter({
      name: 'neva_core_record_views_total',
      help: 'Views of a patient record written to the audit table',
      registers: [registry],
    }),
  }
}
export type CoreMetrics = ReturnType<typeof createCoreMetrics>
