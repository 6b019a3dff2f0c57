// The fault run's timetable and its disk: pure figures, apart from the harness that acts on them.

/** Where the outage starts, as a fraction of the run: it must end by OUTAGE_END, before the disk fills. */
export const OUTAGE_START = 0.1
export const OUTAGE_END = 0.72
/** The shortest run that holds an outage of `outageS` (and the three minutes the other faults need). */
export function faultsSecondsFor(outageS: number): number {
  return Math.max(180, Math.ceil(outageS / (OUTAGE_END - OUTAGE_START) / 10) * 10)
}

/** The gateway's tmpfs: 64 MB and room for the outage's backlog (about 1 KB a reading in the outbox). */
export function diskMbFor(o: { devices: number; rateHz: number; beds: number; outageS: number }): number {
  const readings = o.devices * o.rateHz * 4 * o.outageS + o.beds * 2 * o.outageS
  return 64 + Math.ceil(readings / 1024)
}
