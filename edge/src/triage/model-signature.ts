// Signed triage models. A model's manifest names its ONNX bytes by sha256; the manifest is signed
// with Ed25519 by an offline key (`neva model sign --key FILE`), and the signature travels beside
// it (`<manifest>.sig`, and a `signature` next to the manifest in the core's API). A gateway
// installs a model from the core only when the signature verifies under a key pinned in its
// config (models.trusted_keys): the core and the channel to it are not trusted with the model.
//
// What is signed: "neva-model-manifest-v1\n" + the manifest as canonical JSON (keys sorted,
// no whitespace), so the manifest's key order or formatting in transit does not matter.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { EdgeError, EdgeErrorCode, type MODEL_SIGNATURE_ERRORS } from '../errors.js'

export interface ModelSignature {
  alg: 'ed25519'
  /** First 16 hex digits of sha256 of the public key (DER SPKI): which key signed. */
  key_id: string
  /** base64 */
  signature: string
}

const DOMAIN = 'neva-model-manifest-v1\n'

export class ModelSignatureError extends EdgeError<keyof typeof MODEL_SIGNATURE_ERRORS> {
  constructor(code: keyof typeof MODEL_SIGNATURE_ERRORS, message: string) {
    super(code, message)
  }
}

/** JSON with object keys sorted at every level, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

const message = (manifest: unknown) => Buffer.from(DOMAIN + canonicalJson(manifest), 'utf8')

/** A public key as configured: base64 of its DER SPKI (what `neva model keygen` prints), or PEM. */
export function parsePublicKey(text: string): KeyObject {
  const key = text.includes('-----BEGIN') ? createPublicKey(text) : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' })
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType ?? 'unknown'} key, not ed25519`)
  return key
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16)
}

export function publicKeyText(publicKey: KeyObject): string {
  return publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
}

/** A new signing key pair: the private key as PKCS#8 PEM (keep it offline), the public key as base64 SPKI. */
export function generateModelKeyPair(): { privateKeyPem: string; publicKey: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: publicKeyText(publicKey), keyId: keyId(publicKey) }
}

export function signManifest(manifest: unknown, privateKeyPem: string | Buffer): ModelSignature {
  const privateKey = createPrivateKey(privateKeyPem)
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key is ${privateKey.asymmetricKeyType}, not ed25519`)
  return { alg: 'ed25519', key_id: keyId(createPublicKey(privateKey)), signature: sign(null, message(manifest), privateKey).toString('base64') }
}

function isSignature(value: unknown): value is ModelSignature {
  const s = value as Partial<ModelSignature> | null
  return typeof s === 'object' && s !== null && s.alg === 'ed25519' && typeof s.key_id === 'string' && typeof s.signature === 'string' && s.signature.length <= 256
}

/**
 * Throws a ModelSignatureError unless `signature` is an Ed25519 signature of `manifest` by one of
 * `trusted`; returns the key id that verified.
 */
export function verifyManifestSignature(manifest: unknown, signature: unknown, trusted: readonly KeyObject[]): string {
  const name = `${(manifest as { id?: unknown }).id}@${(manifest as { version?: unknown }).version}`
  if (trusted.length === 0) throw new ModelSignatureError(EdgeErrorCode.NEVA_EDGE_MODEL_NO_TRUSTED_KEYS, `${name}: no models.trusted_keys configured, so no model from the core can be trusted; the current model stays`)
  if (signature === undefined || signature === null || signature === '') throw new ModelSignatureError(EdgeErrorCode.NEVA_EDGE_MODEL_UNSIGNED, `${name}: the model carries no signature (neva model sign); the current model stays`)
  if (!isSignature(signature)) throw new ModelSignatureError(EdgeErrorCode.NEVA_EDGE_MODEL_BAD_SIGNATURE, `${name}: the signature is not an ed25519 model signature; the current model stays`)
  const key = trusted.find((k) => keyId(k) === signature.key_id)
  if (!key) throw new ModelSignatureError(EdgeErrorCode.NEVA_EDGE_MODEL_UNTRUSTED_KEY, `${name}: signed by key ${signature.key_id.slice(0, 16)}, which is not in models.trusted_keys; the current model stays`)
  if (!verify(null, message(manifest), key, Buffer.from(signature.signature, 'base64'))) {
    throw new ModelSignatureError(EdgeErrorCode.NEVA_EDGE_MODEL_BAD_SIGNATURE, `${name}: the signature by key ${signature.key_id} does not verify (the manifest was altered, or signed by another key); the current model stays`)
  }
  return signature.key_id
}
