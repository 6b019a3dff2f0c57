// WFDB recordings (PhysioNet): header + signal files → ADC samples checked by their checksums.
export { parseWfdbHeader, SUPPORTED_FORMATS, type WfdbHeader, type WfdbSignalSpec, type WfdbFormat } from './header.js'
export { readWfdbSignals, physical, type WfdbRecord, type WfdbSignal } from './signals.js'
export { decodeWfdb, readWfdbRecord, type WfdbResult } from './read.js'
export { wfdbSummary, type WfdbSummary } from './summary.js'
