// Decode stage for MQTT: which decoder a topic's payload goes to. Topics ending /ecg go to the
// ECG decoder, /alarms under neva/ to the alarm decoder, neva/v1/ambulances/{unit}/transport to
// the transport decoder, every other one to the vitals decoder, which judges whether it is ours
// (a message that names no device and has no problem is not ours: the source acknowledges it and
// stores nothing). The MQTT source owns the broker and who may publish what; it hands each
// publish's topic and payload here and the decoded result, once allowed, to the durable stage.
// The other sources decode in their protocol code (HL7 per MLLP connection, because the ACK
// depends on it; serial protocols per port; OPC UA per mapped node).
import { decodeAlarmMessage, decodeEcgMessage, decodeTransportMessage, decodeVitalsMessage, type Decoded } from '@neva/firmware-adapters'
import { TRANSPORT_TOPIC_PREFIX } from '@neva/contracts'

/** A publish's topic and payload, decoded; `receivedAt` stamps readings that carry no time. */
export type TopicDecoder = (topic: string, payload: Buffer, receivedAt: number) => Decoded

export const decodeMqtt: TopicDecoder = (topic, payload, receivedAt) => {
  const decode = topic.endsWith('/ecg') ? decodeEcgMessage : topic.startsWith('neva/') && topic.endsWith('/alarms') ? decodeAlarmMessage
    : topic.startsWith(TRANSPORT_TOPIC_PREFIX) && topic.endsWith('/transport') ? decodeTransportMessage : decodeVitalsMessage
  return decode(topic, payload, receivedAt)
}
