// POST /v1/alarms/:id/ack: a nurse or clinician granted the ward of the alarm's patient
// acknowledges it; the acknowledgement is stored (AlarmStore, the first one stays), then published
// live so that everyone watching that ICU bed sees who acknowledged it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { AlarmId, type Place } from '@neva/contracts'
import { AlarmStoreError, type AlarmStore, type AlarmView } from '@neva/analytics'
import { CoreError } from '../errors.js'
import type { BoardAccess } from '../live/access.js'
import type { LiveBus } from '../live/bus.js'

export interface AlarmsOptions {
  access: BoardAccess
  bus: LiveBus
  alarms: AlarmStore
}

const AckBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false })

/**
 * Where an alarm is, for the grants: its patient's bed on the ICU board when the patient is on
 * it, else the place the device reported (its facility and ward).
 */
function placesOf(alarm: AlarmView, bus: LiveBus): Place[] {
  const beds = alarm.patient_id === null ? [] : bus.placesOf(alarm.patient_id).filter((p) => p.board === 'icu')
  if (beds.length > 0) return beds
  return alarm.facility === null ? [] : [{ site: alarm.facility, ward: alarm.ward }]
}

export const alarmsPlugin: FastifyPluginAsyncTypebox<AlarmsOptions> = async (app, { access, bus, alarms }) => {
  app.post(
    '/v1/alarms/:id/ack',
    {
      schema: { params: Type.Object({ id: AlarmId }), body: Type.Optional(AckBody) },
      preHandler: access.require('nurse', 'clinician'),
    },
    async (request) => {
      const user = access.user(request)
      const alarm = await alarms.get(request.params.id)
      if (!alarm) throw new CoreError('NEVA_CORE_ALARM_NOT_FOUND', JSON.stringify(request.params.id))
      const places = placesOf(alarm, bus)
      if (!places.some((p) => access.canSee(user, p))) {
        throw new CoreError('NEVA_CORE_NOT_GRANTED', places.map((p) => `${p.site}/${p.ward ?? '-'}`).join(', ') || 'the alarm has no known place')
      }
      let result
      try {
        result = await alarms.acknowledge(alarm.alarm_id, user.id, request.body?.note)
      } catch (err) {
        if (err instanceof AlarmStoreError) throw new CoreError(err.code === 'NEVA_ALARM_UNKNOWN' ? 'NEVA_CORE_ALARM_NOT_FOUND' : 'NEVA_CORE_BAD_ACK', err.message)
        throw err
      }
      // Published on every acknowledgement, new or not: a page that missed it catches up.
      if (alarm.patient_id !== null) bus.publishAlarmAck(alarm.patient_id, result.ack)
      return { alarm_id: alarm.alarm_id, ack: result.ack, created: result.created }
    },
  )
}
