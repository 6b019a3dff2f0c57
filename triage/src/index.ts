// The triage rules, pure and shared: NEWS2, the model's features, the floor that keeps the model
// from ever lowering NEWS2, the packed verdicts and the per-patient vital state. The edge runs
// them; model training in the cli uses the same code, so the model learns what the gateway sees.
export * from './news2.js'
export * from './features.js'
export * from './floor.js'
export * from './verdicts.js'
export * from './vital-set.js'
export * from './patient-state.js'
export * from './ctg/index.js'
export * from './hourly-features.js'
export * from './calibration.js'
export * from './risk-model.js'
export * from './hourly-history.js'
