// HL7 v2 over MLLP: parser, ORU^R01 and ORU^R40 decoder, ACK builder, MLLP framing, ORU^R01 encoder, and the
// Medplum reference reader. Named exports only: other protocols live in the same package.
export { DEFAULT_ENCODING, readEncoding, type Hl7Encoding } from './encoding.js'
export { hl7Escape, hl7Unescape } from './escape.js'
export { Hl7Message, Hl7Segment } from './message.js'
export { HL7_MAX_MESSAGE_BYTES, HL7_MAX_SEGMENTS, parseHl7, type Hl7ParseLimits, type Hl7ParseResult } from './parse.js'
export { formatHl7Time, parseHl7Time } from './time.js'
export { decodeHl7, type DecodedHl7, type Hl7AckCode, type Hl7AckDecision, type Hl7DecodeOptions, type Hl7Location } from './decode.js'
export { buildAck, type AckStamp } from './ack.js'
export { MLLP_CR, MLLP_END, MLLP_START, MllpDeframer, mllpFrame, type MllpDeframerOptions, type MllpOutput } from './mllp.js'
export { encodeOruR01, type OruR01Input, type OruReadingInput } from './encode.js'
export { MDC_EVT, encodeOruR40, type OruR40Input } from './encode-alarm.js'
export { alertIdentifier, parseLimits } from './alarm.js'
export { decodeHl7WithMedplum, extractHl7Fields, type Hl7Fields, type Hl7ObxFields } from './reference.js'
