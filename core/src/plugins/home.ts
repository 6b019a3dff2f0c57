// Patients at home (docs/surveys.md). The hospital system (an NEVA_EMR_TOKENS token) issues and
// revokes patient tokens and starts chemotherapy cycles; a patient's phone, with its token, reads
// its surveys and reminders, answers, and sends home vitals; GET /home is the page that does so.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Type } from '@sinclair/typebox'
import { Identifier, type Place } from '@neva/contracts'
import type { TelemetryStore } from '@neva/analytics'
import { hashToken } from '../config.js'
import { CoreError, stored } from '../errors.js'
import { gatewayAuthenticator } from './auth.js'
import { checkPatientToken, MAX_VALID_DAYS, newPatientToken } from '../surveys/patient-tokens.js'
import { QUESTIONNAIRE_ID, RECALL, SCALES, SURVEY_ITEMS, TEMPERATURE_C } from '../surveys/questionnaire.js'
import { REGIMENS, DAY_MS } from '../surveys/schedule.js'
import { batchIdOf, HOME_GATEWAY, HomeVitalError, homeReadings, HOME_VITALS } from '../surveys/home-vitals.js'
import type { Surveys } from '../surveys/service.js'
import { CORE_REJECTIONS } from '../errors.js'

const PUBLIC = fileURLToPath(new URL('../../public/', import.meta.url))
// queue.js is the clinicians' queue page's script (survey-review.ts): code only, no data, like the boards' assets.
const ASSETS: Record<string, string> = { 'home.js': 'text/javascript; charset=utf-8', 'home.css': 'text/css; charset=utf-8', 'queue.js': 'text/javascript; charset=utf-8', 'queue.css': 'text/css; charset=utf-8' }

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>My symptoms · Neva</title>
<link rel="stylesheet" href="/home/assets/home.css">
<script type="module" src="/home/assets/home.js"></script>
</head>
<body>
<header><h1>How are you feeling?</h1><p id="status" role="status" aria-live="polite">Loading…</p></header>
<main id="home" aria-busy="true"></main>
</body>
</html>
`

const PatientParams = Type.Object({ patient_id: Identifier })
/**
 * Per address: a phone needs a few requests a minute; the cap bounds what anyone without a valid
 * token can make the core write (every presentation is audited).
 */
export const HOME_REQUESTS_PER_MINUTE = 120
const limited = { rateLimit: { max: HOME_REQUESTS_PER_MINUTE, timeWindow: 60_000 } }
const Values = Type.Record(Type.String({ maxLength: 32 }), Type.Object({ value: Type.Number(), unit: Type.String({ maxLength: 16 }) }, { additionalProperties: false }), { maxProperties: 8 })

export interface HomeOptions {
  surveys: Surveys
  telemetry: TelemetryStore
  systems: Record<string, string>
}

export async function homePlugin(app: FastifyInstance, { surveys, telemetry, systems }: HomeOptions): Promise<void> {
  const emr = gatewayAuthenticator(systems)
  const store = surveys.store
  const emrHook = async (request: FastifyRequest) => { request.emrSystem = emr(request) }
  // A preParsing hook: after the rate limit's onRequest (so refusals count against it), before the body is read.
  const patient = (route: string) => async (request: FastifyRequest) => {
    const { patient_id } = request.params as { patient_id: string }
    await stored(() => checkPatientToken(store, request, patient_id, route))
  }
  const place = (id: string): Promise<Place | null> => stored(() => app.people.placeOf(id))

  // --- the hospital system ---
  app.post('/v1/emr/patient-tokens', {
    onRequest: emrHook,
    schema: { body: Type.Object({ patient_id: Identifier, valid_days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_VALID_DAYS })) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { patient_id, valid_days = 30 } = request.body as { patient_id: string; valid_days?: number }
    const { token_id, token } = newPatientToken()
    const now = Date.now()
    const row = { token_id, token_sha256: hashToken(token), patient_id, issued_by: request.emrSystem!, issued_time: now, expires_time: now + valid_days * DAY_MS, revoked_time: null }
    await stored(() => store.putToken(row))
    void reply.header('cache-control', 'no-store')
    // The token is shown this once; the page link carries it in the fragment, never sent to a server.
    return { token_id, token, patient_id, expires_time: row.expires_time, page: `/home#patient=${encodeURIComponent(patient_id)}&token=${token}` }
  })

  app.delete('/v1/emr/patient-tokens/:token_id', { onRequest: emrHook, schema: { params: Type.Object({ token_id: Identifier }) } }, async (request) => {
    const { token_id } = request.params as { token_id: string }
    const row = await stored(() => store.tokenById(token_id))
    // A system revokes the tokens it issued; another system's token is as unknown to it as a
    // made-up id (the same 404), so token ids of other hospitals cannot be probed or cut off.
    if (!row || row.issued_by !== request.emrSystem) throw new CoreError('NEVA_CORE_PATIENT_TOKEN_NOT_FOUND', token_id)
    const revoked_time = row.revoked_time ?? Date.now()
    await stored(() => store.putToken({ ...row, revoked_time }))
    return { token_id, patient_id: row.patient_id, revoked_time }
  })

  app.post('/v1/emr/survey-cycles', {
    onRequest: emrHook,
    schema: { body: Type.Object({ cycle_id: Identifier, patient_id: Identifier, regimen: Type.String({ maxLength: 32 }), start_time: Type.Integer({ minimum: 0 }), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 56 })) }, { additionalProperties: false }) },
  }, async (request) => {
    const b = request.body as { cycle_id: string; patient_id: string; regimen: string; start_time: number; days?: number }
    const regimen = Object.hasOwn(REGIMENS, b.regimen) ? REGIMENS[b.regimen]! : undefined
    if (!regimen) throw new CoreError('NEVA_CORE_SURVEY_BAD_CYCLE', `regimen must be one of ${Object.keys(REGIMENS).join(', ')}`)
    const cycle = { cycle_id: b.cycle_id, patient_id: b.patient_id, regimen: b.regimen, start_time: b.start_time, days: b.days ?? regimen.cycleDays }
    await stored(() => store.putCycle(cycle, request.emrSystem!))
    return cycle
  })

  // --- the patient ---
  app.get('/v1/home/:patient_id/surveys', { config: limited, preParsing: patient('surveys'), schema: { params: PatientParams } }, async (request, reply) => {
    const { patient_id } = request.params as { patient_id: string }
    void reply.header('cache-control', 'no-store')
    return {
      patient_id,
      questionnaire: { id: QUESTIONNAIRE_ID, recall: RECALL, scales: SCALES, temperature_c: TEMPERATURE_C, items: SURVEY_ITEMS },
      surveys: await stored(() => surveys.listing(patient_id, Date.now())),
      home_vitals: Object.fromEntries(Object.entries(HOME_VITALS).map(([k, v]) => [k, { label: v.label, units: Object.keys(v.units) }])),
    }
  })

  app.post('/v1/home/:patient_id/surveys/:response_id', {
    config: limited, preParsing: patient('answer'),
    schema: { params: Type.Object({ patient_id: Identifier, response_id: Identifier }), body: Type.Object({ answers: Type.Unknown() }, { additionalProperties: false }) },
  }, async (request) => {
    const { patient_id, response_id } = request.params as { patient_id: string; response_id: string }
    const where = await place(patient_id)
    const { stored: fresh, response } = await stored(() => surveys.submit(patient_id, response_id, (request.body as { answers: unknown }).answers, where, Date.now()))
    return { response_id, stored: fresh, submitted_time: response.submitted_time }
  })

  app.get('/v1/home/:patient_id/reminders', { config: limited, preParsing: patient('reminders'), schema: { params: PatientParams } }, async (request) => {
    const { patient_id } = request.params as { patient_id: string }
    return { reminders: await stored(() => store.reminders(patient_id)) }
  })

  app.post('/v1/home/:patient_id/vitals', {
    config: limited, preParsing: patient('vitals'),
    schema: { params: PatientParams, body: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }), time: Type.Integer({ minimum: 0 }), values: Values }, { additionalProperties: false }) },
  }, async (request) => {
    const { patient_id } = request.params as { patient_id: string }
    const body = request.body as { id: string; time: number; values: Record<string, { value: number; unit: string }> }
    const now = Date.now()
    const batch_id = batchIdOf(patient_id, body.id)
    let readings
    try {
      readings = homeReadings(patient_id, body, now)
    } catch (err) {
      if (!(err instanceof HomeVitalError)) throw err
      // Kept aside like a device's refused reading; the reason names the rule, not the values.
      await stored(() => telemetry.storeBatch({
        gateway_id: HOME_GATEWAY, batch_id: `${batch_id}:rejected`, sent_time: now, observations: [], triage: [],
        rejected: [{ gateway_id: HOME_GATEWAY, seq: 1, source: 'patient_app', origin: `home/${patient_id}`, received_time: now, code: 'NEVA_CORE_HOME_VITAL_INVALID' satisfies keyof typeof CORE_REJECTIONS, reason: err.message, payload: JSON.stringify(body).slice(0, 65536) }],
      } as never))
      throw new CoreError('NEVA_CORE_HOME_VITAL_INVALID', err.message)
    }
    const result = await stored(() => telemetry.storeBatch({ gateway_id: HOME_GATEWAY, batch_id, sent_time: now, observations: readings.map((r) => r.observation), triage: [], rejected: [] } as never))
    const alerts = readings.filter((r) => r.outOfRange !== null)
    if (result.stored && alerts.length > 0) {
      const where = await place(patient_id)
      for (const a of alerts) {
        await stored(() => store.putEvent({ response_id: `${HOME_GATEWAY}/${a.observation.seq}`, patient_id, kind: 'vitals_out_of_range', by: 'patient', at: now, detail: a.outOfRange!, site: where?.site ?? '', ward: where?.ward ?? '' }))
      }
    }
    return { id: body.id, stored: result.stored, readings: readings.length, out_of_range: alerts.map((a) => a.outOfRange) }
  })

  // --- the page ---
  app.get('/home', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE))
  app.get('/home/assets/:file', { schema: { params: Type.Object({ file: Type.String({ maxLength: 32 }) }) } }, async (request, reply) => {
    const { file } = request.params as { file: string }
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined
    if (!type) throw new CoreError('NEVA_CORE_NOT_FOUND', file)
    return reply.type(type).header('cache-control', 'no-cache').send(readFileSync(join(PUBLIC, file)))
  })
}
