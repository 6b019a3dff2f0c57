-- The triage model registry: every uploaded model (manifest and ONNX bytes) and an append-only
-- log of which model is current. Current = the model named by the event with the highest seq;
-- rollback appends an event naming the model that was current before the latest activation.

CREATE TABLE IF NOT EXISTS triage_models
(
    id          String,
    version     String,
    sha256      String,
    file        String,
    manifest    String,
    -- Models are small (kilobytes to a few megabytes); base64 keeps them in one String column.
    onnx_base64 String,
    size_bytes  UInt64,
    uploaded_at DateTime64(3, 'UTC'),
    uploaded_by String
)
ENGINE = MergeTree
ORDER BY (id, version, uploaded_at);

CREATE TABLE IF NOT EXISTS triage_model_events
(
    seq         UInt64,
    action      LowCardinality(String),
    id          String,
    version     String,
    at          DateTime64(3, 'UTC'),
    actor       String
)
ENGINE = MergeTree
ORDER BY seq;
