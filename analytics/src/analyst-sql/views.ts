// The analyst views: which tables analysts read, and which columns they lose. One place, read by
// the view DDL (analyst.ts) and by the grammar's table resolution (names.ts).
export const ANALYST_DATABASE = 'analyst'

/**
 * Every table analysts may read. `pseudonymize`: identifier columns replaced by their pseudonym;
 * `omit`: columns that may hold identifiers in free text or raw device payloads.
 * A table with a patient_id column that is in neither list nor ANALYST_EXCLUDED fails a test.
 */
export const ANALYST_VIEWS = {
  observations: { pseudonymize: ['patient_id'], omit: [] },
  triage_results: { pseudonymize: ['patient_id'], omit: [] },
  lab_results: { pseudonymize: ['patient_id', 'order_id'], omit: ['comments'] },
  waveforms: { pseudonymize: ['patient_id'], omit: [] },
  rejected_readings: { pseudonymize: [], omit: ['payload'] },
  // The record: every id pseudonymized with the same key, so the views still join on them;
  // complaints without their free text (a name or a phone number may be in it), codes kept.
  emr_patients: { pseudonymize: ['patient_id'], omit: [] },
  encounters: { pseudonymize: ['patient_id', 'encounter_id'], omit: [] },
  complaints: { pseudonymize: ['patient_id', 'encounter_id', 'complaint_id'], omit: ['text'] },
  diagnoses: { pseudonymize: ['patient_id', 'encounter_id', 'diagnosis_id', 'author_id'], omit: [] },
  // Rollups (0008): read them with the -Merge combinators, e.g. avgMerge(avg_value).
  vitals_per_minute: { pseudonymize: ['patient_id'], omit: [] },
  ed_arrivals_per_hour: { pseudonymize: [], omit: [] },
  // 0011: transports keep the unit and destination; orders lose their free text and people.
  transports: { pseudonymize: ['patient_id'], omit: [] },
  orders: { pseudonymize: ['patient_id', 'encounter_id', 'order_id', 'ordered_by', 'updated_by'], omit: ['text'] },
  // Alarms (0009): the alarm id names a device and its own alarm counter, not a person; who
  // acknowledged is a pseudonym like a diagnosis' author; the note and the device's event text
  // are free text.
  alarms: { pseudonymize: ['patient_id'], omit: ['event_text'] },
  alarm_acks: { pseudonymize: ['user'], omit: ['note'] },
  alarms_per_ward_hour: { pseudonymize: [], omit: [] },
  // Infusion pump events (0020): the order number is an id like a lab result's.
  infusion_events: { pseudonymize: ['patient_id', 'order_id'], omit: [] },
  // CTG verdicts (0025): the reasons are Neva's own words about the trace, no free text.
  ctg_verdicts: { pseudonymize: ['patient_id'], omit: [] },
  // Decision support (0007): ids with the same key as the record's, so they join with it.
  dx_suggestions: { pseudonymize: ['suggestion_id', 'encounter_id', 'patient_id'], omit: [] },
  dx_agreement: { pseudonymize: ['suggestion_id', 'encounter_id', 'patient_id'], omit: [] },
  // Lab orders (0023, 0024): ids and people pseudonymized with the record's key (the specimen id
  // as lab_results.order_id is, so they join); the diagnosis kept as its code, not its text.
  lab_order_events: { pseudonymize: ['order_id', 'patient_id', 'encounter_id', 'specimen_id', 'ordered_by', 'changed_by'], omit: ['diagnosis_text'] },
  lab_result_matches: { pseudonymize: ['specimen_id', 'order_id'], omit: [] },
  lab_critical_limits: { pseudonymize: [], omit: [] },
  // Patients at home (0027): ids with the record's key, so responses, events, consultations and
  // reminders join; clinicians' notes are free text. The answers are grades only (validated).
  survey_cycles: { pseudonymize: ['patient_id', 'cycle_id'], omit: [] },
  survey_responses: { pseudonymize: ['patient_id', 'response_id', 'cycle_id'], omit: ['answers_sha256'] },
  survey_events: { pseudonymize: ['patient_id', 'response_id', 'by'], omit: ['detail'] },
  teleconsults: { pseudonymize: ['consult_id', 'response_id', 'patient_id', 'by'], omit: ['note'] },
  survey_reminders: { pseudonymize: ['patient_id', 'response_id'], omit: [] },
  // Order sets used (0021): ids with the keys of dx_suggestions and lab_order_events, so they join.
  lab_order_set_uses: { pseudonymize: ['suggestion_id', 'order_id', 'encounter_id'], omit: [] },
  // Vitals per 5 minutes (0034), read like vitals_per_minute.
  vitals_per_5min: { pseudonymize: ['patient_id'], omit: [] },
} as const satisfies Record<string, { pseudonymize: readonly string[]; omit: readonly string[] }>

/** Tables deliberately not offered to analysts, with why. */
export const ANALYST_EXCLUDED = {
  analyst_audit: 'other analysts’ queries',
  analyst_pseudonym_key: 'the pseudonym key',
  triage_models: 'model files, not clinical data',
  triage_model_events: 'model registry log',
  ingest_batches: 'ingest ledger',
  schema_migrations: 'schema bookkeeping',
  vitals_per_minute_mv: 'materialized view: analysts read its table, vitals_per_minute',
  ed_arrivals_per_hour_mv: 'materialized view: analysts read its table, ed_arrivals_per_hour',
  users: 'accounts and password hashes (0010)',
  user_sessions: 'session token hashes (0010)',
  record_views: 'who viewed which patient: for the privacy officer, not analysts (0010)',
  login_audit: 'login attempts (0010)',
  gateway_credentials: 'gateway token hashes (0010)',
  alarms_per_ward_hour_mv: 'materialized view: analysts read its table, alarms_per_ward_hour',
  dx_models: 'model artifacts, not clinical data',
  patient_tokens: 'patient token hashes (0027)',
  patient_token_uses: 'who used a patient token from where: an audit trail, not analysis (0027)',
  vitals_per_5min_mv: 'materialized view: analysts read its table, vitals_per_5min',
} as const

