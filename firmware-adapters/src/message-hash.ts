// The hash in a device message's identity (MessageKey.hash): SHA-256 of the bytes as sent,
// base64url, 22 characters (132 bits). One call, no Hash object per message: it runs on every
// publish of a busy connection.
import { hash } from 'node:crypto'

export function messageHash(payload: Uint8Array): string {
  return hash('sha256', payload, 'base64url').slice(0, 22)
}
