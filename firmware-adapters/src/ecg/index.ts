// 12-lead ECG chunks from ambulance tablets over MQTT. The names exported here are the
// package's API; the rest stays in the folder.
export { ecgTopic, ECG_MAGIC, ECG_VERSION, MAX_ECG_PAYLOAD_BYTES, type EcgEncoding } from './format.js'
export { encodeEcgChunk, encodeEcgMessage, type EcgChunkInput } from './encode.js'
export { decodeEcgMessage, parseEcgTopic } from './decode.js'
