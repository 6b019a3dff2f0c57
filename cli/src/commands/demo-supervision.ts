// How often the demo's devices send and how long each may be silent: one place, read by the demo
// and by the test that proves a silenced monitor or analyzer is a technical alarm within 5 s.
// Periods sit just above each device's interval (a device that keeps sending never alarms).

/** The HL7 monitors' report interval and the ASTM analyzer's panel interval, ms. */
export const DEMO_MONITOR_INTERVAL_MS = 1000
export const DEMO_ANALYZER_INTERVAL_MS = 2000

/** The gateway's `supervision` section in the demo. */
export const DEMO_SUPERVISION = {
  check_interval_ms: 500,
  silence_ms: { hl7v2: 3000, astm: 4000, serial: 3000, opcua: 10_000 },
} as const

/** What a silence may take to reach the ICU board in the demo. */
export const DEMO_SILENCE_ALARM_WITHIN_MS = 5000
