export * from './mapping.js'
export * from './decode.js'
