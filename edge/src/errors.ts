// Error catalog of the edge gateway: every code it counts, logs, answers with or keeps refused
// input under, declared once with its meaning (and, for the local API, its HTTP status). Code
// elsewhere in edge/src names a code through `EdgeErrorCode.NEVA_EDGE_…`, never as a string;
// test/error-catalog.test.ts enforces it and docs/errors.md lists the catalog.
//
// Why a decoder refused a reading (NEVA_DECODE_*, NEVA_HL7V2_*, NEVA_ASTM_*, …) is the
// firmware-adapters' catalog (FIRMWARE_ADAPTER_ERRORS); the gateway passes those codes through.

interface EdgeErrorInfo {
  /** One line: what happened, for an operator reading /status, a log or a metric label. */
  readonly message: string
  /** HTTP status, for the codes the gateway's local API answers with. */
  readonly status?: number
}
type Catalog = Readonly<Record<`NEVA_EDGE_${string}`, EdgeErrorInfo>>

/** The durable stage: a reading could not be made durable, so the device is not acknowledged. */
export const DURABLE_ERRORS = {
  NEVA_EDGE_OUTBOX_FULL: { message: 'the outbox is at its disk budget; the device is not acknowledged until the uplink drains it' },
  NEVA_EDGE_NOT_DURABLE: { message: 'readings could not be made durable (outbox failing); the device is not acknowledged and resends' },
} as const satisfies Catalog

/** A listener's allowlist and connection caps (security/connection-limits.ts). */
export const CONNECTION_LIMIT_ERRORS = {
  NEVA_EDGE_CONN_NOT_ALLOWED: { message: 'the peer address is not in the listener\'s allowlist' },
  NEVA_EDGE_CONN_TOO_MANY: { message: 'the listener has its maximum number of connections' },
  NEVA_EDGE_CONN_TOO_MANY_FROM_ADDRESS: { message: 'the peer address has its maximum number of connections' },
} as const satisfies Catalog

/** What an MQTT connection may make the broker buffer (security/mqtt-guard.ts). */
export const MQTT_GUARD_ERRORS = {
  NEVA_EDGE_MQTT_PACKET_TOO_LARGE: { message: 'a packet longer than mqtt.max_packet_bytes' },
  NEVA_EDGE_MQTT_NOT_CONNECT: { message: 'the first packet is not a CONNECT' },
  NEVA_EDGE_MQTT_PREAUTH_BYTES: { message: 'too many bytes before the login was accepted' },
  NEVA_EDGE_MQTT_MALFORMED: { message: 'a packet length that is not a valid variable byte integer' },
  NEVA_EDGE_MQTT_CONNECT_TIMEOUT: { message: 'no CONNECT within mqtt.connect_timeout_ms' },
} as const satisfies Catalog

/** MQTT logins and topic ACLs (security/mqtt-access.ts). */
export const MQTT_ACCESS_ERRORS = {
  /** CONNACK 4 (bad user name or password). */
  NEVA_EDGE_MQTT_BAD_CREDENTIALS: { message: 'unknown username or wrong password' },
  /** CONNACK 5 (not authorized). */
  NEVA_EDGE_MQTT_ANONYMOUS: { message: 'the gateway requires a login (mqtt.require_credentials) and the client sent none' },
  /** CONNACK 5 (not authorized). */
  NEVA_EDGE_MQTT_CERT_MISMATCH: { message: 'the CONNECT username differs from the client certificate\'s CN' },
  /** CONNACK 3 (server unavailable): too many logins being checked at once. */
  NEVA_EDGE_MQTT_BUSY: { message: 'too many logins waiting to be checked' },
  /** CONNACK 3 (server unavailable): this address already has mqtt.max_pending_logins_per_address logins waiting. */
  NEVA_EDGE_MQTT_BUSY_ADDRESS: { message: 'too many logins from this address waiting to be checked' },
  /** CONNACK 3 (server unavailable): this address failed mqtt.failed_logins_per_minute logins in the last minute. */
  NEVA_EDGE_MQTT_LOGIN_RATE_LIMITED: { message: 'too many failed logins from this address; try again in a minute' },
  NEVA_EDGE_MQTT_TOPIC_DENIED: { message: 'the login may not publish to this topic (another device\'s, or not a device topic)' },
  NEVA_EDGE_MQTT_PATIENT_DENIED: { message: 'the message names a patient this login may not publish for' },
  NEVA_EDGE_MQTT_SUBSCRIBE_DENIED: { message: 'devices may not subscribe' },
} as const satisfies Catalog

/** A serial port (sources/serial-source.ts). */
export const SERIAL_SOURCE_ERRORS = {
  NEVA_EDGE_SERIAL_OPEN: { message: 'the serial port could not be opened (absent, busy or not permitted); retrying' },
  NEVA_EDGE_SERIAL_LOST: { message: 'the serial port closed under the gateway (unplugged); reopening' },
} as const satisfies Catalog

/** Device supervision (sources/supervisor.ts): the event of the technical alarm it raises. */
export const SUPERVISION_ERRORS = {
  NEVA_EDGE_DEVICE_SILENT: { message: 'no data from the device for longer than its supervision period (supervision.silence_ms)' },
} as const satisfies Catalog

/** The gateway's local API (api/server.ts). */
export const EDGE_API_ERRORS = {
  NEVA_EDGE_API_UNAUTHORIZED: { status: 401, message: 'patient data needs "Authorization: Bearer <token>" with the token whose sha256 is api.token_sha256' },
  NEVA_EDGE_API_NO_TOKEN: { status: 403, message: 'this gateway serves no patient data: no api.token_sha256 is configured (neva edge-credential api)' },
  NEVA_EDGE_API_RATE_LIMITED: { status: 429, message: 'too many requests from this address' },
} as const satisfies Catalog

/** A triage model from the core whose signature does not verify (triage/model-signature.ts). */
export const MODEL_SIGNATURE_ERRORS = {
  NEVA_EDGE_MODEL_UNSIGNED: { message: 'the model carries no signature (neva model sign); the current model stays' },
  NEVA_EDGE_MODEL_BAD_SIGNATURE: { message: 'the signature is malformed or does not verify (the manifest was altered); the current model stays' },
  NEVA_EDGE_MODEL_UNTRUSTED_KEY: { message: 'the model is signed by a key not in models.trusted_keys; the current model stays' },
  NEVA_EDGE_MODEL_NO_TRUSTED_KEYS: { message: 'no models.trusted_keys configured, so no model from the core can be trusted; the current model stays' },
} as const satisfies Catalog

/** A triage model refused before it is installed (triage/model-files.ts, triage/pool.ts). */
export const MODEL_ERRORS = {
  NEVA_EDGE_MODEL_UNVERIFIED: { message: 'the model manifest breaks its schema, or the ONNX bytes do not hash to its sha256' },
  NEVA_EDGE_MODEL_REFUSED: { message: 'the model does not fit this gateway (feature set, features, probe row); the current model stays' },
} as const satisfies Catalog

/** The lab host query (astm-protocol.ts hostQuery, lab-worklist.ts). */
export const LAB_ERRORS = {
  NEVA_EDGE_ASTM_ANSWER_ABORTED: { message: 'the analyzer did not take the answer to its host query (no reply, or NAKed frames); it is not resent, the analyzer asks again' },
  NEVA_EDGE_HL7_ORDER_FAILED: { message: 'an HL7 order (OML^O21 / ORM^O01) got no answer, an error answer (AE/CE) or lost its connection; it is sent again while pending' },
  NEVA_EDGE_HL7_ORDER_REJECTED: { message: 'the analyzer or middleware rejected an HL7 order (AR/CR); it is not sent again' },
  NEVA_EDGE_ASTM_DOWNLOAD_ABORTED: { message: 'the analyzer did not take an order downloaded to it (no reply, or NAKed frames); it is offered again while the order is pending' },
  NEVA_EDGE_LAB_WORKLIST: { message: 'the lab worklist could not be fetched from the core or was malformed; host queries are answered from the last good list' },
} as const satisfies Catalog

/** Every code of the edge, with its meaning. */
export const EDGE_ERRORS = {
  ...DURABLE_ERRORS,
  ...CONNECTION_LIMIT_ERRORS,
  ...MQTT_GUARD_ERRORS,
  ...MQTT_ACCESS_ERRORS,
  ...SERIAL_SOURCE_ERRORS,
  ...SUPERVISION_ERRORS,
  ...EDGE_API_ERRORS,
  ...MODEL_SIGNATURE_ERRORS,
  ...MODEL_ERRORS,
  ...LAB_ERRORS,
} as const satisfies Catalog

export type EdgeErrorCode = keyof typeof EDGE_ERRORS

/** Each code as a constant, `EdgeErrorCode.NEVA_EDGE_OUTBOX_FULL === 'NEVA_EDGE_OUTBOX_FULL'`. */
export const EdgeErrorCode = Object.freeze(Object.fromEntries(Object.keys(EDGE_ERRORS).map((code) => [code, code]))) as { readonly [C in EdgeErrorCode]: C }

/** An error carrying a catalog code; the message defaults to the code's meaning. */
export class EdgeError<C extends EdgeErrorCode = EdgeErrorCode> extends Error {
  readonly code: C
  constructor(code: C, message: string = EDGE_ERRORS[code].message, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
