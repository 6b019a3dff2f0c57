// Security settings read and judged at start-up: certificate files, and loud warnings when the
// broker is open to anyone or sends passwords in clear text.
import { readFileSync } from 'node:fs'
import type { GatewayConfig } from '../config.js'
import type { Log } from '../log.js'
import type { MqttAccess } from './mqtt-access.js'

/** Certificate files read at start-up, with an error naming the field and the file. */
export function readTls(tls: { cert_file: string; key_file: string; ca_file?: string }, field: string): { cert: Buffer; key: Buffer; ca?: Buffer } {
  const read = (path: string, name: string) => {
    try {
      return readFileSync(path)
    } catch (err) {
      throw new Error(`${field}/${name}: ${(err as Error).message}`, { cause: err })
    }
  }
  return { cert: read(tls.cert_file, 'cert_file'), key: read(tls.key_file, 'key_file'), ...(tls.ca_file ? { ca: read(tls.ca_file, 'ca_file') } : {}) }
}

export function warnAboutMqttAccess(mqtt: GatewayConfig['mqtt'], access: MqttAccess, log: Log): void {
  if (access.mode === 'open') {
    log('warn', 'MQTT broker accepts any client and any topic: no mqtt.credentials configured and mqtt.require_credentials is false', { host: mqtt.host })
  } else if (access.mode === 'mixed') {
    log('warn', 'MQTT clients without a login may still publish for devices that have none (mqtt.require_credentials is false)', { credentials: mqtt.credentials.length })
  }
  if (!mqtt.tls && !isLoopback(mqtt.host) && mqtt.credentials.length > 0) {
    log('warn', 'MQTT passwords travel in clear text: the broker listens beyond loopback without mqtt.tls', { host: mqtt.host })
  }
}

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.')

/** A PEM file read at start-up, with an error naming the field and the file. */
export function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new Error(`${field}: ${(err as Error).message}`, { cause: err })
  }
}
