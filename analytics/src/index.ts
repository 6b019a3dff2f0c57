export * from './connection.js'
export * from './migrate.js'
export * from './telemetry-store.js'
export * from './emr-store.js'
