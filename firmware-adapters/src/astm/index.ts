// The ASTM adapter's public surface; helpers stay internal so that names do not collide with
// other protocols' (HL7 has delimiters and escapes too).
export {
  FrameReader as AstmFrameReader,
  type FrameEvent as AstmFrameEvent,
  frameAstmMessage,
  frameChecksum as astmChecksum,
  buildFrame as buildAstmFrame,
  MAX_FRAME_TEXT as ASTM_MAX_FRAME_TEXT,
} from './frames.js'
export { parseAstmTime, formatAstmTime } from './records.js'
export { decodeAstmMessage, testCode as astmTestCode, type AstmDecodeOptions, type DecodedAstm } from './decode.js'
export { encodeAstmMessage, encodeAstmFrames, type AstmMessageInput, type AstmOrderInput, type AstmResultInput } from './encode.js'
export { AstmReceiver, type AstmReceiverOptions, type AstmReceivedMessage, type AstmReceiverOutput, type AstmReceiverState } from './receiver.js'
export { AstmSender, type AstmSenderOptions, type AstmOutgoingMessage, type AstmSenderOutput, type AstmSenderStats, type AstmSenderState } from './sender.js'
export { decodeAstmCapture, type AstmCaptureOptions } from './capture.js'
export { astmQueries, astmOrdersOf, astmHostMessageKind, encodeAstmOrderAnswer, encodeAstmOrderAnswerFrames, encodeAstmOrderDownload, encodeAstmOrderDownloadFrames, encodeAstmQuery, type AstmQuery, type AstmOrderAnswer } from './host-query.js'
