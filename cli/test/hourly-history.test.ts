// The live gateway's bounded history (hourly aggregates) against the evaluation's features, on
// real stays of set A: at 24 h and 48 h the same features, and the same model.risk.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_RISK_MANIFEST, HOURLY_FEATURES, HourlyHistory, calibrate } from '@neva/edge'
import { loadDeterioration, scoreOnnx } from '../src/model/deterioration.js'
import { hourlyObservations, readStays, stayRows } from '../src/model/physionet2012.js'

const TAR = join(fileURLToPath(new URL('../../../shared/data/physionet-2012/', import.meta.url)), 'set-a.tar.gz')

test('hourly aggregates of 40 real stays give the evaluation\'s features and risk at 24 h and 48 h', { skip: !existsSync(TAR) && 'no ../shared/data/physionet-2012' }, async () => {
  const stays = await readStays(TAR, 40)
  const { manifest, bytes } = await loadDeterioration(DEFAULT_RISK_MANIFEST)
  const F = HOURLY_FEATURES.length
  for (const hours of [24, 48]) {
    const rows = stayRows(stays, hours)
    const live = new Float64Array(stays.length * F)
    stays.forEach((s, i) => {
      const h = new HourlyHistory()
      for (const o of hourlyObservations(s)) if (o.minute <= hours * 60) h.add(o)
      h.prune(hours * 60)
      live.set(h.features(hours * 60, s.descriptors.Age ?? null), i * F)
    })
    for (let i = 0; i < live.length; i++) {
      const a = live[i]!, b = rows.x[i]!
      if (Number.isNaN(b)) assert.ok(Number.isNaN(a), `stay ${stays[Math.floor(i / F)]!.recordId} ${HOURLY_FEATURES[i % F]!.name}: ${a}, expected missing`)
      else assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `stay ${stays[Math.floor(i / F)]!.recordId} ${HOURLY_FEATURES[i % F]!.name}: ${a}, expected ${b}`)
    }
    const [want, got] = await Promise.all([scoreOnnx(bytes, Float32Array.from(rows.x), F), scoreOnnx(bytes, Float32Array.from(live), F)])
    for (let i = 0; i < stays.length; i++) assert.ok(Math.abs(calibrate(got[i]!, manifest.calibration) - calibrate(want[i]!, manifest.calibration)) <= 1e-6, `stay ${stays[i]!.recordId} at ${hours} h`)
  }
})
