export * from './decode.js'
