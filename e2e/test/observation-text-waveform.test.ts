// Text states and NA waveforms end to end: a monitor's ORU^R01 over MLLP with its ECG rhythm
// (ST), a pacing mode (CWE) and one ECG lead as an NA (IHE PCD WCM) reaches ClickHouse through a
// gateway and the core: the rhythm as words with no number (NaN, never 0), the coded state with
// its code and system, the lead sample for sample; the triage result scores none of them.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestCore, startTestGateway, sendMllp } from './helpers.js'

const core = await startTestCore({ 'gw-text': 'tok-text' })
after(() => core.close())

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)
const T = Math.floor((Date.now() - 10_000) / 1000) * 1000
const SAMPLES = Array.from({ length: 500 }, (_, i) => Math.round(Math.sin(i / 10) * 1500) / 1000)
const R01 = [
  `MSH|^~\\&|BEDSIDE-7|ICU|||${stamp(T)}+0000||ORU^R01^ORU_R01|text-1|P|2.6|||AL|NE`,
  'PID|||icu.p7^^^^MR', 'PV1||I|ICU^7^1', `OBR|1||text-1|69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|||${stamp(T)}+0000`,
  'OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X|||||||bed7-mon',
  'OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.1|71|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R',
  'OBX|3|ST|184327^MDC_ECG_STAT_RHY^MDC|1.1.1.2|MDC_ECG_SINUS_RHY||||||R',
  'OBX|4|CWE|184330^MDC_ECG_PACE_MODE^MDC|1.1.1.3|7^DDD^MDC||||||R',
  `OBX|5|NA|131330^MDC_ECG_ELEC_POTL_II^MDC|1.1.1.1001|${SAMPLES.join('^')}|266418^MDC_DIM_MILLI_VOLT^MDC|||||R|||${stamp(T)}+0000`,
  'OBX|6|NM|0^MDC_ATTR_SAMP_RATE^MDC|1.1.1.1001.1|250|264608^MDC_DIM_PER_SEC^MDC|||||R',
].join('\r')

const rows = async (query: string) => (await (await core.clickhouse.client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>())

test('a rhythm, a pacing mode and an NA lead over MLLP reach ClickHouse as words, a code and samples', async () => {
  const gateway = await startTestGateway('gw-text', core.url, 'tok-text', undefined, { mllp: { port: 0 } })
  try {
    assert.deepEqual(await sendMllp(gateway.mllpPort!, [R01]), ['AA'])
    await gateway.drain(20_000)
    assert.deepEqual(await rows(`SELECT name, mdc_code, isNaN(value) AS no_number, value_text, value_code, value_system FROM observations WHERE gateway_id = 'gw-text' ORDER BY mdc_code`), [
      { name: 'heart_rate', mdc_code: 147842, no_number: 0, value_text: '', value_code: '', value_system: '' },
      { name: 'other', mdc_code: 184327, no_number: 1, value_text: 'MDC_ECG_SINUS_RHY', value_code: '', value_system: '' },
      { name: 'other', mdc_code: 184330, no_number: 1, value_text: 'DDD', value_code: '7', value_system: 'MDC' },
    ])
    const waves = await rows(`SELECT lead, sample_rate_hz, resolution_uv, samples, toUnixTimestamp64Milli(start_time) AS t FROM waveforms WHERE gateway_id = 'gw-text'`)
    assert.equal(waves.length, 1)
    const w = waves[0]!
    assert.deepEqual([w.lead, w.sample_rate_hz, w.resolution_uv, Number(w.t)], ['II', 250, 1, T])
    assert.deepEqual((w.samples as number[]).map((s) => s / 1000), SAMPLES)
    // Scored on the heart rate alone: the states are never inputs.
    const triage = await rows(`SELECT inputs FROM triage_results WHERE gateway_id = 'gw-text'`)
    for (const t of triage) assert.doesNotMatch(String(t.inputs), /SINUS|DDD/)
  } finally {
    await gateway.stop()
  }
})
