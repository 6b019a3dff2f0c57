// Which pending lab orders each analyzer has already taken (an ASTM download it acknowledged, an
// HL7 order it answered AA or AR), kept in the gateway's SQLite (data_dir/lab-deliveries.db) so a
// restart does not send them again. One row per (device, specimen):
//
//   (none) ──taken──► accepted | rejected ──order left the worklist (resulted, cancelled)──► (none)
//
// Forgetting happens only against a worklist the gateway has loaded since it started: an empty
// list because the core was not reached yet must not erase what the analyzers already have.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export type DeliveryOutcome = 'accepted' | 'rejected'

/** One analyzer's delivered orders, by specimen id: a Map written through to the store. */
export class DeliveredOrders {
  private readonly cache: Map<string, DeliveryOutcome>

  constructor(private readonly device: string, private readonly db: Database.Database | undefined) {
    this.cache = new Map(db ? (db.prepare('SELECT specimen, outcome FROM deliveries WHERE device = ?').all(device) as Array<{ specimen: string; outcome: DeliveryOutcome }>).map((r) => [r.specimen, r.outcome]) : [])
  }

  has(specimen: string): boolean {
    return this.cache.has(specimen)
  }

  get(specimen: string): DeliveryOutcome | undefined {
    return this.cache.get(specimen)
  }

  set(specimen: string, outcome: DeliveryOutcome): void {
    this.cache.set(specimen, outcome)
    this.db?.prepare('INSERT OR REPLACE INTO deliveries (device, specimen, outcome, time) VALUES (?, ?, ?, ?)').run(this.device, specimen, outcome, Date.now())
  }

  delete(specimen: string): void {
    if (!this.cache.delete(specimen)) return
    this.db?.prepare('DELETE FROM deliveries WHERE device = ? AND specimen = ?').run(this.device, specimen)
  }

  keys(): string[] {
    return [...this.cache.keys()]
  }

  get size(): number {
    return this.cache.size
  }

  [Symbol.iterator](): IterableIterator<[string, DeliveryOutcome]> {
    return this.cache.entries()
  }
}

export class LabDeliveries {
  private constructor(private readonly db: Database.Database | undefined) {}

  /** Kept in `dataDir`/lab-deliveries.db. */
  static open(dataDir: string): LabDeliveries {
    mkdirSync(dataDir, { recursive: true })
    const db = new Database(join(dataDir, 'lab-deliveries.db'))
    db.pragma('journal_mode = WAL')
    db.exec('CREATE TABLE IF NOT EXISTS deliveries (device TEXT NOT NULL, specimen TEXT NOT NULL, outcome TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (device, specimen))')
    return new LabDeliveries(db)
  }

  /** Memory only (tests, analyzers configured without a gateway). */
  static memory(): LabDeliveries {
    return new LabDeliveries(undefined)
  }

  for(device: string): DeliveredOrders {
    return new DeliveredOrders(device, this.db)
  }

  close(): void {
    this.db?.close()
  }
}
