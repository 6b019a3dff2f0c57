// Transport: an ambulance bringing a patient to a site, as the crew's tablet reports it. The ED
// board shows every transport en route to the sites a clinician is granted, with its ETA.
//
//   topic:   neva/v1/ambulances/{unit}/transport
//   payload: UTF-8 JSON, e.g.
//     { "patient_id": "amb-7.p1", "destination_site": "city-hospital-1", "state": "en_route",
//       "eta": 1764103600000, "time": 1764103000123 }
//
// `time` is when the crew changed it (the tablet's clock): the latest `time` wins, so a message
// delivered late never overwrites a newer state. `eta` is null or absent when the crew gave none.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, literals } from './observation.js'
import { SiteName } from './ids.js'

export const TRANSPORT_STATES = ['en_route', 'arrived', 'cancelled'] as const
export type TransportState = (typeof TRANSPORT_STATES)[number]

export const TRANSPORT_TOPIC_PREFIX = 'neva/v1/ambulances/'
export const transportTopic = (unit: string) => `${TRANSPORT_TOPIC_PREFIX}${unit}/transport`

// Sites are named as the hospital system names them ("City Hospital 1"); the topic never holds one.
const Site = SiteName

/**
 * The ward an ambulance is bound for at its destination site: its pre-arrival is seen by those
 * granted the site's ED ward, or the whole site.
 */
export const ED_WARD = 'ED'

/** What the tablet publishes. */
export const TransportMessage = Type.Object(
  {
    patient_id: Identifier,
    destination_site: Site,
    state: literals(TRANSPORT_STATES),
    eta: Type.Optional(Type.Union([EpochMs, Type.Null()])),
    time: EpochMs,
  },
  { additionalProperties: false },
)
export type TransportMessage = Static<typeof TransportMessage>

/** A transport as stored: one row per change, the latest updated_time per (unit, patient) wins. */
export const Transport = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    /** The ambulance, from the topic (its tablet may publish only under its own unit). */
    unit: Identifier,
    patient_id: Identifier,
    destination_site: Site,
    state: literals(TRANSPORT_STATES),
    /** Estimated arrival; null when the crew gave none. */
    eta: Type.Union([EpochMs, Type.Null()]),
    updated_time: EpochMs,
    received_time: EpochMs,
  },
  { additionalProperties: false },
)
export type Transport = Static<typeof Transport>
