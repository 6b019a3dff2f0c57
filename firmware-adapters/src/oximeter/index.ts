// Pulse oximeters on a serial port: Masimo-Radical-like ASCII records and Nonin Data Format #2
// binary frames. The names exported here are the package's API; the rest stays in the folder.
export { OXIMETER_FORMATS, type OximeterFormat, type OximeterOptions } from './common.js'
export { MASIMO_EXCEPTION, masimoExceptionFlags, encodeOximeterAsciiRecord, type OximeterAsciiRecord, type OximeterAsciiEncodeOptions } from './ascii-record.js'
export { OximeterAsciiDecoder } from './ascii-stream.js'
export {
  NONIN_STATUS,
  NONIN_FRAME_BYTES,
  NONIN_FRAMES_PER_PACKET,
  NONIN_FRAMES_PER_SECOND,
  NONIN_PACKET_BYTES,
  encodeNoninPacket,
  noninStatusFlags,
  type NoninPacketInput,
} from './nonin-format2.js'
export { OximeterBinaryDecoder } from './binary-stream.js'
export { decodeOximeterCapture, MAX_OXIMETER_CAPTURE_BYTES, type OximeterCaptureOptions } from './capture.js'
