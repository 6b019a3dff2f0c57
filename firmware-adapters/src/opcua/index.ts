export * from './errors.js'
export * from './mapping.js'
export * from './decode.js'
