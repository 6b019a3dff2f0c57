// Gateway configuration: one schema, all defaults in one place, validated at start-up with an
// error that names the field.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Identifier } from '@neva/contracts'
import { OpcuaConfigSchema, validateOpcuaMapping } from '@neva/firmware-adapters'
import { parsePasswordHash } from './security/password-hash.js'
import { parseCidrList } from './security/connection-limits.js'
import { parsePublicKey } from './triage/model-signature.js'

const ServerTls = {
  /** PEM certificate (chain) the server presents. */
  cert_file: Type.String({ minLength: 1 }),
  key_file: Type.String({ minLength: 1 }),
}
const orNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()], { default: null })

/** An exact device or patient id, or a prefix ending in `*` ("amb-7.*"). */
const IdPattern = Type.String({ minLength: 1, maxLength: 129, pattern: '^[A-Za-z0-9._:/-]+\\*?$' })

/** One device's (or one tablet's) MQTT login: what it may publish for. */
export const MqttCredentialSchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@-]+$' }),
    /**
     * argon2id PHC string (`neva edge-credential device` makes one). Absent: the device can only
     * log in with a client certificate whose CN is `username` (mqtt.tls.ca_file).
     */
    password_hash: Type.Optional(Type.String({ minLength: 1 })),
    /** Device ids it may publish for (topic neva/v1/devices/{id}/…); default: its username. */
    device_ids: Type.Optional(Type.Array(IdPattern, { minItems: 1, maxItems: 256 })),
    /** When given, the patient ids its messages may name; others are refused. */
    patient_ids: Type.Optional(Type.Array(IdPattern, { minItems: 1, maxItems: 256 })),
  },
  { additionalProperties: false },
)
export type MqttCredential = Static<typeof MqttCredentialSchema>

export const GatewayConfigSchema = Type.Object(
  {
    gateway_id: Identifier,
    /** Outbox and other state live here. */
    data_dir: Type.String({ default: './data/edge' }),
    mqtt: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }),
        /** Per-device logins and topic ACLs; none: any client may connect (a warning at start-up). */
        credentials: Type.Array(MqttCredentialSchema, { default: [], maxItems: 10_000 }),
        /** Refuse clients without a valid login even when `credentials` is empty. */
        require_credentials: Type.Boolean({ default: false }),
        /**
         * MQTT over TLS on `port` instead of plain TCP (8883 by convention). With `ca_file`, a
         * device must present a certificate that CA signed; one whose CN is a credential's
         * username logs in as it without a password.
         */
        tls: orNull(Type.Object({ ...ServerTls, ca_file: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })),
        /**
         * Largest MQTT packet; a connection announcing a longer one is closed before it is
         * buffered. The largest ECG chunk the format allows is 360 161 bytes: keep room for it.
         */
        max_packet_bytes: Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024, default: 512 * 1024 }),
        /** A connection that sends no CONNECT within this is closed. */
        connect_timeout_ms: Type.Integer({ minimum: 100, maximum: 300_000, default: 10_000 }),
        /** Connections open at once, and from one address; more are closed at once, counted. */
        max_connections: Type.Integer({ minimum: 1, default: 1000 }),
        max_connections_per_address: Type.Integer({ minimum: 1, default: 64 }),
        /** Logins waiting for a password check (2 run at once); more are refused (CONNACK 3). */
        max_pending_logins: Type.Integer({ minimum: 1, maximum: 10_000, default: 32 }),
        /** Logins one address may have waiting; more are refused (CONNACK 3). */
        max_pending_logins_per_address: Type.Integer({ minimum: 1, default: 4 }),
        /** Failed logins an address may make in a minute; then refused without a check (CONNACK 3). */
        failed_logins_per_minute: Type.Integer({ minimum: 1, default: 10 }),
        /**
         * QoS 1/2 publishes one connection may have waiting for the outbox's commit; at it the
         * gateway stops reading that socket (TCP backpressure) until half are durable. Soft by
         * what one read of the socket brings (up to about 128 KiB). With `max_pending_total`,
         * what bounds the memory held for devices: a waiting publish holds its packet and decoded
         * readings (about 2 KiB for a vitals message), so the defaults cap it near 40 MiB.
         */
        max_pending_per_connection: Type.Integer({ minimum: 1, maximum: 65_535, default: 2000 }),
        /** The same over all connections. */
        max_pending_total: Type.Integer({ minimum: 1, default: 20_000 }),
      },
      { default: {}, additionalProperties: false },
    ),
    api: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
        /** HTTPS instead of HTTP. */
        tls: orNull(Type.Object(ServerTls, { additionalProperties: false })),
        /**
         * sha256 (hex) of the bearer token that /patients requires (`neva edge-credential api`);
         * NEVA_EDGE_API_TOKEN, when set, gives the token itself. Absent: /patients answers 401.
         */
        token_sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
        /** Requests per minute per client address; above it, 429. */
        rate_limit_per_minute: Type.Integer({ minimum: 1, default: 1200 }),
      },
      { default: {}, additionalProperties: false },
    ),
    core: Type.Object(
      {
        /** https in production; plain http only to a loopback core, or with allow_insecure_http. */
        url: Type.String({ default: 'http://127.0.0.1:8080' }),
        token: Type.String({ minLength: 1 }),
        /**
         * Let readings, the core token and models travel in clear text to a core that is not on
         * loopback (a private container network at most); a warning at start-up says so.
         */
        allow_insecure_http: Type.Boolean({ default: false }),
        /** PEM CA (bundle) the core's https certificate must chain to, on top of the system's. */
        ca_file: Type.Optional(Type.String({ minLength: 1 })),
        batch_max: Type.Integer({ minimum: 1, maximum: 10_000, default: 2000 }),
        /** Upper bound of a batch's entries in bytes (the core accepts 32 MiB bodies). */
        batch_max_bytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 4 * 1024 * 1024 }),
        /** Wait this long for more readings before sending a small batch. */
        linger_ms: Type.Integer({ minimum: 0, default: 50 }),
        timeout_ms: Type.Integer({ minimum: 100, default: 15_000 }),
        backoff_base_ms: Type.Integer({ minimum: 1, default: 200 }),
        backoff_max_ms: Type.Integer({ minimum: 1, default: 30_000 }),
      },
      { additionalProperties: false },
    ),
    outbox: Type.Object(
      {
        /** Disk budget; at it the gateway stops acknowledging devices (nothing is shed). */
        max_bytes: Type.Integer({ minimum: 1024 * 1024, default: 2 * 1024 ** 3 }),
        /**
         * Budget of refused input (garbage, denied publishes) within max_bytes: past it new
         * refusals are dropped and counted, so a device sending junk cannot fill the outbox and
         * block good readings. null: an eighth of max_bytes, at most 64 MiB.
         */
        rejected_max_bytes: Type.Union([Type.Integer({ minimum: 64 * 1024 }), Type.Null()], { default: null }),
        /** How long a stamped reading's identity is remembered, to store a device's resend once. */
        dedup_window_ms: Type.Integer({ minimum: 0, default: 3600_000 }),
        /** Readings younger than this go to the core before any backlog. */
        live_window_ms: Type.Integer({ minimum: 0, default: 1000 }),
      },
      { default: {}, additionalProperties: false },
    ),
    triage: Type.Object(
      {
        /**
         * Manifest of the triage model to start with: "builtin" for the model shipped with the
         * gateway, a path, or null for NEWS2 alone. A model the core publishes replaces it.
         */
        model: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: 'builtin' }),
        /** Worker threads scoring with the model. */
        threads: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
        /** How often the core's model registry is asked for a newer model; 0: never. */
        sync_interval_ms: Type.Integer({ minimum: 0, default: 60_000 }),
      },
      { default: {}, additionalProperties: false },
    ),
    /** Triage models distributed by the core. */
    models: Type.Object(
      {
        /**
         * Ed25519 public keys (base64 DER SPKI, as `neva model keygen` prints them, or PEM) a
         * model from the core must be signed by; empty: no model from the core is installed (the
         * configured triage.model, a local file, stays in service).
         */
        trusted_keys: Type.Array(Type.String({ minLength: 40, maxLength: 4096 }), { default: [], maxItems: 32 }),
      },
      { default: {}, additionalProperties: false },
    ),
    /**
     * HL7 v2 over MLLP (patient monitors, device gateways); null: not listening. Port 2575 by
     * convention.
     */
    mllp: Type.Union([
      Type.Object(
        {
          host: Type.String({ default: '127.0.0.1' }),
          port: Type.Integer({ minimum: 0, maximum: 65535, default: 2575 }),
          max_message_bytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 1024 * 1024 }),
          /** A connection silent this long is closed (monitors reconnect). */
          idle_timeout_ms: Type.Integer({ minimum: 1000, default: 300_000 }),
          /**
           * MLLP over TLS instead of plain TCP. With `ca_file`, a sender must present a
           * certificate that CA signed (mutual TLS).
           */
          tls: orNull(Type.Object({ ...ServerTls, ca_file: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })),
          /** Peer addresses allowed to connect, as CIDR blocks ("10.0.4.0/24"); empty: any. Others are closed at once, counted. */
          allow_from: Type.Array(Type.String({ minLength: 2, maxLength: 64 }), { default: [], maxItems: 1000 }),
          /** Connections open at once, and from one address; more are closed at once, counted. */
          max_connections: Type.Integer({ minimum: 1, default: 256 }),
          max_connections_per_address: Type.Integer({ minimum: 1, default: 16 }),
          /**
           * Frames one connection may have waiting for durability and their ACK (a sender that does
           * not wait for ACKs); beyond it the connection is not read until half are done.
           */
          max_pending_per_connection: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ], { default: null }),
    /** Devices on serial ports: lab analyzers (ASTM) and pulse oximeters. */
    serial: Type.Array(
      Type.Object(
        {
          device_id: Identifier,
          path: Type.String({ minLength: 1 }),
          protocol: Type.Union([Type.Literal('astm'), Type.Literal('oximeter-ascii'), Type.Literal('oximeter-binary'), Type.Literal('ctg-lines')]),
          baud_rate: Type.Integer({ minimum: 50, maximum: 4_000_000, default: 9600 }),
          data_bits: Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)], { default: 8 }),
          parity: Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], { default: 'none' }),
          stop_bits: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1 }),
          /** The patient a bedside device (an oximeter) is attached to; analyzers name theirs. */
          patient_id: Type.Optional(Identifier),
          /**
           * ASTM: which components of R-3 make the test code (default [4], `^^^GLU`); e.g. [4, 11]
           * for an ARCHITECT, [4, 7, 8] for a GeneXpert (firmware-adapters/src/astm/README.md).
           */
          test_code_components: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 32 }), { minItems: 1, maxItems: 8 })),
          /** ASTM: the analyzer sends no L record, a message ends with EOT. */
          message_ends_at_eot: Type.Optional(Type.Boolean()),
          /** ASTM: answer the analyzer's host queries from the lab worklist polled from the core (docs/lab.md). */
          host_query: Type.Optional(Type.Boolean()),
          /** ASTM: send the worklist's pending orders to the analyzer unprompted (download; docs/lab.md). */
          download: Type.Optional(Type.Boolean()),
          /**
           * ASTM host query and download: the lab codes this analyzer runs; an order is sent with those of its
           * tests only, and not at all when it has none. Absent: every test of every order.
           */
          runs_tests: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9._#%/+*-]{1,32}$' }), { minItems: 1, maxItems: 500 })),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    /** OPC UA devices (ventilators, pumps): which variables to subscribe to and what they are. */
    opcua: OpcuaConfigSchema,
    /**
     * Device supervision: a device silent longer than its period raises a technical alarm
     * (docs/devices.md, "Silent devices"), ended when it is heard again. 0: not supervised.
     */
    supervision: Type.Object(
      {
        /** How often silences are looked for; an alarm is raised at most this long after the period. */
        check_interval_ms: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
        /** Silence allowed per source kind. Analyzers (ASTM) send only when they have results: off by default. */
        silence_ms: Type.Object(
          {
            mqtt: Type.Integer({ minimum: 0, default: 30_000 }),
            hl7v2: Type.Integer({ minimum: 0, default: 30_000 }),
            astm: Type.Integer({ minimum: 0, default: 0 }),
            serial: Type.Integer({ minimum: 0, default: 30_000 }),
            opcua: Type.Integer({ minimum: 0, default: 30_000 }),
          },
          { default: {}, additionalProperties: false },
        ),
        /** Per device (an exact id or a prefix ending in `*`; the first match wins), over silence_ms. */
        devices: Type.Array(
          Type.Object({ device_id: IdPattern, silence_ms: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
          { default: [], maxItems: 10_000 },
        ),
        /** The alarms' priority. */
        priority: Type.Union([Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')], { default: 'medium' }),
      },
      { default: {}, additionalProperties: false },
    ),
    /** Analyzer test codes → LOINC, on top of the built-in table (firmware-adapters/src/lab-codes.ts). */
    lab_codes: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Object({ loinc: Type.String({ pattern: '^[0-9]{1,7}-[0-9]$' }), name: Type.String() }, { additionalProperties: false }), { default: {} }),
    /** The zone of device clocks that send local times without an offset (HL7, ASTM, oximeter lines), minutes east of UTC. */
    device_utc_offset_minutes: Type.Integer({ minimum: -720, maximum: 840, default: 0 }),
    log_level: Type.String({ default: 'info' }),
    /**
     * Analyzers and middleware that take lab orders as HL7 v2 over MLLP: the gateway connects to
     * each and sends it the pending orders of its worklist (docs/lab.md, "HL7 orders").
     */
    hl7_orders: Type.Array(
      Type.Object(
        {
          device_id: Identifier,
          host: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:-]+$' }),
          port: Type.Integer({ minimum: 1, maximum: 65_535 }),
          message: Type.Union([Type.Literal('OML^O21'), Type.Literal('ORM^O01')], { default: 'OML^O21' }),
          /** The lab codes it runs (as for serial analyzers); absent: every test. */
          runs_tests: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9._#%/+*-]{1,32}$' }), { minItems: 1, maxItems: 500 })),
        },
        { additionalProperties: false },
      ),
      { default: [], maxItems: 100 },
    ),
  },
  { additionalProperties: false },
)
export type GatewayConfig = Static<typeof GatewayConfigSchema>

export function parseGatewayConfig(input: unknown, origin = 'config'): GatewayConfig {
  const withDefaults = Value.Default(GatewayConfigSchema, structuredClone(input ?? {}))
  const first = Value.Errors(GatewayConfigSchema, withDefaults).First()
  if (first) throw new Error(`${origin}: ${first.path || '/'}: ${first.message}`)
  const config = withDefaults as GatewayConfig
  // What the schema cannot say: codes the table knows, units that agree, a bed for each oximeter.
  validateOpcuaMapping(config.opcua, `${origin}: /opcua`)
  config.serial.forEach((port, i) => {
    if (port.protocol.startsWith('oximeter') && !port.patient_id) throw new Error(`${origin}: /serial/${i}: an oximeter needs the patient_id of the bed it is attached to`)
  })
  if (config.outbox.rejected_max_bytes !== null && config.outbox.rejected_max_bytes > config.outbox.max_bytes / 2) {
    throw new Error(`${origin}: /outbox/rejected_max_bytes: ${config.outbox.rejected_max_bytes} is more than half of outbox.max_bytes (${config.outbox.max_bytes}): refusals would crowd out readings`)
  }
  checkCoreUrl(config, origin)
  config.models.trusted_keys.forEach((k, i) => {
    try {
      parsePublicKey(k)
    } catch (err) {
      throw new Error(`${origin}: /models/trusted_keys/${i}: not an Ed25519 public key (${(err as Error).message})`)
    }
  })
  if (config.mllp) parseCidrList(config.mllp.allow_from, `${origin}: /mllp/allow_from`)
  const users = config.mqtt.credentials.map((c) => c.username)
  const user = users.find((u, i) => users.indexOf(u) !== i)
  if (user) throw new Error(`${origin}: /mqtt/credentials: username ${user} is configured twice`)
  config.mqtt.credentials.forEach((c, i) => {
    if (c.password_hash !== undefined) {
      try {
        parsePasswordHash(c.password_hash)
      } catch (err) {
        throw new Error(`${origin}: /mqtt/credentials/${i}/password_hash: ${(err as Error).message}`)
      }
    } else if (!config.mqtt.tls?.ca_file) {
      throw new Error(`${origin}: /mqtt/credentials/${i}: no password_hash, and no mqtt.tls.ca_file for a client certificate: ${c.username} could never log in`)
    }
  })
  const ids = [...config.serial.map((p) => p.device_id), ...config.opcua.map((d) => d.device_id)]
  const twice = ids.find((id, i) => ids.indexOf(id) !== i)
  if (twice) throw new Error(`${origin}: device ${twice} is configured twice`)
  return config
}

/** https, or plain http to loopback or with core.allow_insecure_http. */
function checkCoreUrl(config: GatewayConfig, origin: string): void {
  let url: URL
  try {
    url = new URL(config.core.url)
  } catch {
    throw new Error(`${origin}: /core/url: not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${origin}: /core/url: ${url.protocol} is not http: or https:`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (url.protocol === 'http:' && !isLoopbackHost(host) && !config.core.allow_insecure_http) {
    throw new Error(`${origin}: /core/url: plain http to ${host}, which is not loopback: readings, the core token and triage models would travel in clear text. Use https (core.ca_file for a private CA), or set core.allow_insecure_http`)
  }
  if (config.core.ca_file && url.protocol !== 'https:') throw new Error(`${origin}: /core/ca_file: given, but core.url is not https`)
}

/** Loopback by address or name (the gateway does not resolve names here). */
export const isLoopbackHost = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

/**
 * NEVA_CORE_TOKEN, when set, replaces core.token, and NEVA_EDGE_API_TOKEN api.token_sha256, so
 * that secrets can stay out of files.
 */
export function loadGatewayConfig(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err })
  }
  if (env.NEVA_CORE_TOKEN && typeof raw === 'object' && raw !== null) {
    const r = raw as { core?: Record<string, unknown> }
    r.core = { ...r.core, token: env.NEVA_CORE_TOKEN }
  }
  if (env.NEVA_EDGE_API_TOKEN && typeof raw === 'object' && raw !== null) {
    const r = raw as { api?: Record<string, unknown> }
    r.api = { ...r.api, token_sha256: createHash('sha256').update(env.NEVA_EDGE_API_TOKEN, 'utf8').digest('hex') }
  }
  return parseGatewayConfig(raw, path)
}
