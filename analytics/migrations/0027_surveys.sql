-- Patients at home (docs/surveys.md): tokens the hospital system issues per patient, their every
-- use, chemotherapy cycles a patient answers symptom surveys in, the answers with their risk,
-- what clinicians did with them (reviews, escalations, telemedicine consultations) and reminders.
-- Home vitals are not here: they are observations (flag patient_reported).

-- One row per change of a token (issued, revoked); the latest version wins. Only the SHA-256 of
-- the token is stored, so the table gives no one a usable token.
CREATE TABLE IF NOT EXISTS patient_tokens
(
    token_id     String,
    token_sha256 String,
    patient_id   String,
    issued_by    LowCardinality(String),
    issued_time  DateTime64(3, 'UTC'),
    expires_time DateTime64(3, 'UTC'),
    revoked_time Nullable(DateTime64(3, 'UTC')),
    version      DateTime64(3, 'UTC'),
    INDEX token_sha256_idx token_sha256 TYPE bloom_filter GRANULARITY 1
)
ENGINE = ReplacingMergeTree(version)
ORDER BY token_id;

-- Every request that presented a patient token, allowed or refused (outcome: ok, unknown,
-- revoked, expired, wrong_patient).
CREATE TABLE IF NOT EXISTS patient_token_uses
(
    at         DateTime64(3, 'UTC'),
    token_id   String,
    patient_id String,
    route      LowCardinality(String),
    outcome    LowCardinality(String),
    address    String,
    user_agent String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, patient_id);

-- A chemotherapy cycle: the regimen names the survey schedule (core/src/surveys/schedule.ts).
CREATE TABLE IF NOT EXISTS survey_cycles
(
    cycle_id    String,
    patient_id  String,
    regimen     LowCardinality(String),
    start_time  DateTime64(3, 'UTC'),
    days        UInt16,
    enrolled_by LowCardinality(String),
    version     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (patient_id, cycle_id);

-- One answer per scheduled survey (response_id = cycle_id:dN); the first stored wins, a resend
-- of the same answers is acknowledged, different answers are refused.
CREATE TABLE IF NOT EXISTS survey_responses
(
    response_id    String,
    patient_id     String,
    cycle_id       String,
    cycle_day      UInt16,
    due_time       DateTime64(3, 'UTC'),
    submitted_time DateTime64(3, 'UTC'),
    answers        String,
    answers_sha256 String,
    risk           LowCardinality(String),
    reasons        Array(String),
    review_due     DateTime64(3, 'UTC'),
    site           LowCardinality(String),
    ward           LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (patient_id, response_id);

-- What happened to a response or a home reading afterwards: reviewed, escalated (overdue
-- review), vitals_out_of_range (a queue item of its own, response_id = the reading's id).
CREATE TABLE IF NOT EXISTS survey_events
(
    response_id String,
    patient_id  String,
    kind        LowCardinality(String),
    by          String,
    at          DateTime64(3, 'UTC'),
    detail      String,
    site        LowCardinality(String),
    ward        LowCardinality(String)
)
ENGINE = MergeTree
ORDER BY (response_id, at);

-- Urgent telemedicine consultations: every status change is a row (requested → scheduled →
-- done | cancelled); readers take the latest.
CREATE TABLE IF NOT EXISTS teleconsults
(
    consult_id     String,
    response_id    String,
    patient_id     String,
    status         LowCardinality(String),
    by             String,
    at             DateTime64(3, 'UTC'),
    scheduled_time Nullable(DateTime64(3, 'UTC')),
    note           String
)
ENGINE = MergeTree
ORDER BY (consult_id, at);

-- Reminders sent for a scheduled survey (kind due | overdue), once each.
CREATE TABLE IF NOT EXISTS survey_reminders
(
    patient_id  String,
    response_id String,
    kind        LowCardinality(String),
    at          DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(at)
ORDER BY (patient_id, response_id, kind);
