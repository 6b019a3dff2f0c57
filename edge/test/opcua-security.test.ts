// Finding 6 (red-team review): the OPC UA client ran MessageSecurityMode.None and accepted any
// server certificate. Tried against a real node-opcua server (the simulated ventilator) offering
// SignAndEncrypt/Basic256Sha256 only: a gateway that trusts its certificate gets values; one whose
// trust list lacks it (a server impersonating the ventilator) connects to nothing and stores
// nothing; a gateway configured for None cannot talk to it (no downgrade).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { OpcuaVentilator } from '@neva/simulators'
import { parseGatewayConfig, startGateway, type Gateway } from '../src/index.js'
import { TestCa } from './certs.js'
import { tempDir } from './helpers.js'

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

// Made before node-opcua runs: its PKI code leaves OPENSSL_CONF pointing nowhere for openssl.
const OTHER_CA = new TestCa('other')

type Device = { device_id: string; connected: boolean; readings: number; errors: Record<string, number> }

async function gatewayFor(vent: OpcuaVentilator, dataDir: string, security: object): Promise<Gateway & { device: () => Promise<Device | undefined> }> {
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-opcsec', data_dir: dataDir, mqtt: { port: 0 }, api: { port: 0 },
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    triage: { model: null, sync_interval_ms: 0 }, log_level: 'silent',
    opcua: [{ device_id: 'vent-sec', endpoint_url: vent.endpointUrl, patient_id: 'icu.bed5', sampling_interval_ms: 200, nodes: vent.nodes(), ...security }],
  }), () => {})
  const device = async () => ((await (await fetch(`${gateway.apiUrl}/status`)).json()) as { devices: Device[] }).devices.find((d) => d.device_id === 'vent-sec')
  return Object.assign(gateway, { device })
}

test('SignAndEncrypt with a trust list: the trusted ventilator\'s values flow; an unknown certificate is refused; None cannot downgrade', async () => {
  const dir = tempDir('opcsec')
  const vent = new OpcuaVentilator({ pkiDir: join(dir, 'vent-pki'), security: 'SignAndEncrypt', patient: { id: 'icu.bed5', scenario: 'respiratory', seed: 5, onsetS: 0, courseS: 120 }, intervalMs: 200, timeScale: 5 })
  await vent.start()
  try {
    assert.ok(existsSync(vent.certificateFile), `server certificate at ${vent.certificateFile}`)
    const trusted = join(dir, 'trusted')
    mkdirSync(trusted)
    copyFileSync(vent.certificateFile, join(trusted, 'ventilator.pem'))

    // Trusted: values are stored, over an encrypted channel.
    const good = await gatewayFor(vent, join(dir, 'gw-good'), { security_mode: 'SignAndEncrypt', security_policy: 'Basic256Sha256', trusted_certificates_dir: trusted })
    try {
      await until('values from the trusted ventilator', async () => ((await good.device())?.readings ?? 0) > 0)
      assert.equal((await good.device())!.connected, true)
    } finally {
      await good.stop()
    }

    // A trust list without the ventilator's certificate (another CA's certificate only): refused.
    const other = join(dir, 'other')
    mkdirSync(other)
    copyFileSync(OTHER_CA.ca.certFile, join(other, 'other.pem'))
    const wary = await gatewayFor(vent, join(dir, 'gw-wary'), { security_mode: 'SignAndEncrypt', trusted_certificates_dir: other })
    try {
      await until('the connection refused', async () => ((await wary.device())?.errors.NEVA_OPCUA_CONNECT_FAILED ?? 0) > 0)
      await new Promise((r) => setTimeout(r, 1500))
      const d = (await wary.device())!
      assert.deepEqual([d.connected, d.readings, wary.outbox.stats().appended], [false, 0, 0])
      // node-opcua keeps the refused certificate aside for an operator to check.
      assert.ok(readdirSync(join(dir, 'gw-wary', 'opcua-pki', 'vent-sec', 'rejected')).length >= 1)
    } finally {
      await wary.stop()
    }

    // Configured for None against a server that offers only SignAndEncrypt: nothing flows.
    const plain = await gatewayFor(vent, join(dir, 'gw-none'), { security_mode: 'None' })
    try {
      await until('None refused by the server', async () => ((await plain.device())?.errors.NEVA_OPCUA_CONNECT_FAILED ?? 0) > 0)
      assert.equal((await plain.device())!.readings, 0)
    } finally {
      await plain.stop()
    }
  } finally {
    await vent.stop()
  }
})

test('config: SignAndEncrypt by default, which needs a trust list; None only with None', () => {
  const opcua = (extra: object) => ({ gateway_id: 'g', core: { token: 't' }, opcua: [{ device_id: 'v', endpoint_url: 'opc.tcp://10.0.4.21:4840', patient_id: 'p', nodes: [{ node_id: 'ns=1;s=Vent.RespRate', mdc_code: 151586 }], ...extra }] })
  assert.throws(() => parseGatewayConfig(opcua({})), /\/opcua\/0\/trusted_certificates_dir: security_mode SignAndEncrypt needs the directory/)
  assert.throws(() => parseGatewayConfig(opcua({ security_mode: 'None', security_policy: 'Basic256Sha256' })), /\/opcua\/0\/security_policy: Basic256Sha256 does not go with security_mode None/)
  assert.equal(parseGatewayConfig(opcua({ trusted_certificates_dir: '/etc/neva/opcua-trusted' })).opcua[0]!.security_mode, 'SignAndEncrypt')
  assert.equal(parseGatewayConfig(opcua({ security_mode: 'None' })).opcua[0]!.security_mode, 'None')
})
