// Fetal monitors (CTG): signal names, units and scale; the serial line protocol.
export { CTG_RESOLUTION, CTG_SPECS, ctgCount, ctgSignalByName, ctgUnit, ctgValue, type CtgSignalSpec } from './signals.js'
export { CtgLineDecoder, type CtgLineOptions } from './lines.js'
