// Finding 8, the channel (red-team review): the gateway sent readings, its core token and fetched
// models over plain http to wherever core.url pointed. Now plain http is refused unless the core
// is on loopback or core.allow_insecure_http says so, and https can be pinned to a private CA
// (core.ca_file). Tried against a real core serving https with a throwaway CA.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { encodeVitalsMessage } from '@neva/firmware-adapters'
import { hashToken, startCore } from '@neva/core'
import { parseGatewayConfig, startGateway } from '@neva/edge'
import { TestCa } from '@neva/edge/test-certs'
import { tempDir } from './helpers.js'

const base = { gateway_id: 'gw-chan', core: { token: 't' } }

test('config: plain http to a core that is not loopback is refused unless explicitly allowed', () => {
  assert.throws(() => parseGatewayConfig({ ...base, core: { url: 'http://10.0.4.2:8080', token: 't' } }), /\/core\/url: plain http to 10\.0\.4\.2, which is not loopback/)
  assert.throws(() => parseGatewayConfig({ ...base, core: { url: 'http://core.example:8080', token: 't' } }), /\/core\/url: plain http/)
  assert.throws(() => parseGatewayConfig({ ...base, core: { url: 'ftp://core', token: 't' } }), /\/core\/url: ftp: is not http/)
  assert.throws(() => parseGatewayConfig({ ...base, core: { url: 'http://127.0.0.1:8080', token: 't', ca_file: '/x' } }), /\/core\/ca_file: given, but core.url is not https/)
  for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080', 'https://core.example']) {
    assert.equal(parseGatewayConfig({ ...base, core: { url, token: 't' } }).core.url, url)
  }
  assert.equal(parseGatewayConfig({ ...base, core: { url: 'http://core:8080', token: 't', allow_insecure_http: true } }).core.allow_insecure_http, true)
})

test('https to a core whose certificate a private CA signed: delivered with core.ca_file, refused without it', async () => {
  const pki = new TestCa()
  const cert = pki.issue('core', '127.0.0.1', { ip: '127.0.0.1' })
  const core = await startCore({
    host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch') }, logLevel: 'silent', bodyLimit: 8 * 1024 * 1024,
    gateways: { 'gw-chan': hashToken('tok-chan') },
    tls: { cert: cert.cert, key: cert.key },
  })
  const start = (extra: object) => startGateway(parseGatewayConfig({
    gateway_id: 'gw-chan', data_dir: tempDir('chan'), mqtt: { port: 0 }, api: { port: 0 },
    core: { url: core.url, token: 'tok-chan', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000, ...extra },
    triage: { model: null, sync_interval_ms: 0 }, log_level: 'silent',
  }), () => {})
  try {
    assert.match(core.url, /^https:/)
    for (const [extra, delivered] of [[{ ca_file: pki.ca.certFile }, true], [{}, false]] as const) {
      const gateway = await start(extra)
      try {
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { reconnectPeriod: 0 })
        const { topic, payload } = encodeVitalsMessage('icu-mon-1', { patient_id: 'icu.bed1', time: Date.now(), readings: [{ vital: 'spo2', value: 96 }] })
        await client.publishAsync(topic, payload, { qos: 1 })
        await client.endAsync()
        if (delivered) {
          await gateway.drain(10_000)
          assert.equal(gateway.outbox.stats().depth, 0)
        } else {
          await assert.rejects(gateway.drain(1500))
          assert.match(gateway.uplink.lastError ?? '', /certificate|self.signed|issuer/i)
          assert.equal(gateway.uplink.totals.batches, 0)
        }
      } finally {
        await gateway.stop()
      }
    }
  } finally {
    await core.close()
  }
})
