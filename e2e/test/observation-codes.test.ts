// Any coded metric end to end: a monitor's ORU^R01 over MLLP with metrics beyond the named vitals
// (QT, QTc, the NIBP cuff's pulse rate, one in a unit Neva cannot map) and an ORU^R40 alert with
// its value and limits reach ClickHouse through a gateway and the core; the readings are found
// by code, the named vitals keep their names, the alarm keeps its numbers.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'

import { startTestCore, startTestGateway, sendMllp } from './helpers.js'

const core = await startTestCore({ 'gw-codes': 'tok-codes' })
after(() => core.close())

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)
const T = Date.now() - 10_000
const monitor = (id: string, obx: string[]) => [
  `MSH|^~\\&|BEDSIDE-9^00112233AABBCCDD^EUI-64|ICU|||${stamp(T)}+0000||ORU^R01^ORU_R01|${id}|P|2.6|||AL|NE`,
  'PID|||icu.p9^^^^MR', 'PV1||I|ICU^9^1', `OBR|1||${id}|69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|||${stamp(T)}+0000`, ...obx,
].join('\r')
const R01 = monitor('codes-1', [
  'OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X|||||||bed9-mon',
  'OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.1|71|264864^MDC_DIM_BEAT_PER_MIN^MDC|50-120||||R',
  'OBX|3|NM|147232^MDC_ECG_TIME_PD_QT_GL^MDC|1.1.1.2|388|264338^MDC_DIM_MILLI_SEC^MDC|||||R',
  'OBX|4|NM|147236^MDC_ECG_TIME_PD_QTc^MDC|1.1.1.3|431|264338^MDC_DIM_MILLI_SEC^MDC|<500||||R',
  'OBX|5|NM|149546^MDC_PULS_RATE_NON_INV^MDC|1.2.1.4|69|{beat}/min^{beat}/min^UCUM|||||R',
  'OBX|6|NM|150488^MDC_PULS_OXIM_PERF_REL^MDC|1.3.1.1|2.4|pct-local^^99LOCAL|||||R',
  'OBX|7|ST|184327^MDC_ECG_STAT_RHY^MDC|1.1.1.5|MDC_ECG_SINUS_RHY||||||R',
])
const R40 = [
  `MSH|^~\\&|BEDSIDE-9^00112233AABBCCDD^EUI-64|ICU|||${stamp(T)}+0000||ORU^R40^ORU_R40|codes-2|P|2.6|||AL|NE`,
  'PID|||icu.p9^^^^MR', 'PV1||I|ICU^9^1',
  `OBR|1|al-9^BEDSIDE-9|al-9^BEDSIDE-9|196616^MDC_EVT_ALARM^MDC|||${stamp(T)}+0000`,
  'OBX|1|ST|196648^MDC_EVT_HI^MDC|1.1.1.147236.1|QTc high|||H~PM~SP|||F|||||||bed9-mon',
  'OBX|2|NM|147236^MDC_ECG_TIME_PD_QTc^MDC|1.1.1.147236.2|512|264338^MDC_DIM_MILLI_SEC^MDC|300-500||||F',
  'OBX|3|ST|68481^MDC_ATTR_EVENT_PHASE^MDC|1.1.1.147236.3|start||||||F',
  'OBX|4|ST|68482^MDC_ATTR_ALARM_STATE^MDC|1.1.1.147236.4|active||||||F',
].join('\r')

const rows = async (query: string, params: Record<string, unknown>) =>
  (await (await core.clickhouse.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<Record<string, unknown>>())

test('coded metrics over MLLP reach ClickHouse, found by code; the alarm keeps its value and limits', async () => {
  const gateway = await startTestGateway('gw-codes', core.url, 'tok-codes', undefined, { mllp: { port: 0 } })
  try {
    assert.deepEqual(await sendMllp(gateway.mllpPort!, [R01, R40]), ['AA', 'AA'])
    await gateway.drain(20_000)
    const byCode = await rows(
      `SELECT name, mdc_code, loinc, value, unit, device_label, unit_as_sent, flags FROM observations
        WHERE gateway_id = 'gw-codes' AND patient_id = {p:String} AND mdc_code IN {codes:Array(UInt32)} ORDER BY mdc_code, value`,
      { p: 'icu.p9', codes: [147232, 147236, 149546, 150488] },
    )
    assert.deepEqual(byCode.map((r) => [r.name, r.mdc_code, r.loinc, r.value, r.unit, r.device_label, r.unit_as_sent, r.flags]), [
      ['other', 147232, '8634-8', 388, 'ms', 'MDC_ECG_TIME_PD_QT_GL', '264338^MDC_DIM_MILLI_SEC^MDC', []],
      ['other', 147236, '8636-3', 431, 'ms', 'MDC_ECG_TIME_PD_QTc', '264338^MDC_DIM_MILLI_SEC^MDC', []],
      ['other', 149546, '8867-4', 69, '/min', 'MDC_PULS_RATE_NON_INV', '{beat}/min^{beat}/min^UCUM', []],
      // A unit Neva cannot map: kept as sent, flagged, never converted.
      ['other', 150488, '', 2.4, 'pct-local^99LOCAL', 'MDC_PULS_OXIM_PERF_REL', 'pct-local^99LOCAL', ['unit_unmapped']],
    ])
    // The named vital keeps its name (NEWS2 and the boards read it); the alarm's QTc is not a second reading.
    const named = await rows(`SELECT name, value, device_label FROM observations WHERE gateway_id = 'gw-codes' AND name != 'other'`, {})
    assert.deepEqual(named, [{ name: 'heart_rate', value: 71, device_label: '' }])
    const alarms = await rows(`SELECT event_name, event_text, source_code, value, unit, limit_low, limit_high FROM alarms WHERE gateway_id = 'gw-codes'`, {})
    assert.deepEqual(alarms, [{ event_name: 'MDC_EVT_HI', event_text: 'QTc high', source_code: 147236, value: 512, unit: 'ms', limit_low: 300, limit_high: 500 }])
  } finally {
    await gateway.stop()
  }
})
