export * from './errors.js'
export * from './mqtt-vitals/index.js'
