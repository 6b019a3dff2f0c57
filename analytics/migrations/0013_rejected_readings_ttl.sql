-- Refused readings are kept for inspection, not for ever: anyone who can reach a gateway's port
-- can make them (an HL7 flood of refused alerts, a transport to a site its gateway does not serve),
-- and their payloads are as the device sent them. 30 days after the core stored them they go
-- (ingested_at, the core's clock: a gateway's backlog sent after a long outage is still kept 30
-- days); the counts stay in the metrics (neva_edge_rejected_total, neva_core_ingest_rows_total).
ALTER TABLE rejected_readings MODIFY TTL toDateTime(ingested_at) + INTERVAL 30 DAY;
