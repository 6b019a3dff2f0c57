// Encodes vitals messages for simulators and tests (the inverse of decode.ts).
import { vitalsTopic, type Acvpu, type QualityFlag, type VitalName } from '@neva/contracts'

export interface VitalsReadingInput {
  vital: VitalName
  value: number | Acvpu
  flags?: QualityFlag[]
  time?: number
}

export function encodeVitalsMessage(
  deviceId: string,
  message: { patient_id: string; time?: number; spo2_scale?: 1 | 2; readings: VitalsReadingInput[] },
): { topic: string; payload: Buffer } {
  return { topic: vitalsTopic(deviceId), payload: Buffer.from(JSON.stringify({ device_id: deviceId, ...message }), 'utf8') }
}
