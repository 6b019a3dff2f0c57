-- Waveforms beyond ECG: a fetal monitor's FHR, uterine activity and maternal HR are stored as
-- waveforms too, so a chunk says what its samples measure and in which unit (sample ×
-- resolution_uv is in `unit`; the column keeps its name for the ECG rows it was made for).
-- Rows before this migration are ECG in µV, which the defaults say.
ALTER TABLE waveforms ADD COLUMN IF NOT EXISTS signal_kind LowCardinality(String) DEFAULT 'ecg';
ALTER TABLE waveforms ADD COLUMN IF NOT EXISTS unit LowCardinality(String) DEFAULT 'uV';
