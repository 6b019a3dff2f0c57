-- Triage models are signed offline (Ed25519, `neva model sign`): the signature travels beside the
-- manifest (JSON: alg, key_id, signature), and gateways install only models whose signature
-- verifies under a key they pin. '' for models uploaded before, or without one.
ALTER TABLE triage_models ADD COLUMN IF NOT EXISTS signature String DEFAULT '' AFTER manifest;
