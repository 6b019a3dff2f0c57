export * from './physiology/random.js'
export * from './physiology/scenarios.js'
export * from './physiology/patient.js'
export * from './ambulance.js'
