export * from './errors.js'
export * from './decoded.js'
export * from './mqtt-vitals/index.js'
