// The CLI's commands, loaded on demand so that `neva triage` does not load ClickHouse.

export const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  demo: { summary: 'run core, gateway and a simulated ambulance on embedded ClickHouse', load: () => import('./commands/demo.js') },
  core: { summary: 'run the core (Fastify + ClickHouse)', load: () => import('./commands/core.js') },
  edge: { summary: 'run an edge gateway: neva edge --config FILE', load: () => import('./commands/edge.js') },
  'edge-credential': { summary: 'hash a device\'s MQTT password or the edge API token for the gateway config: neva edge-credential device|api', load: () => import('./commands/edge-credential.js') },
  sim: { summary: 'run a simulator: neva sim ambulance --broker mqtt://…', load: () => import('./commands/sim.js') },
  triage: { summary: 'NDJSON vital-sign sets on stdin → NDJSON triage results', load: () => import('./commands/triage.js') },
  sql: { summary: 'analyst SQL (read-only, pseudonymous, audited) against the configured ClickHouse', load: () => import('./commands/sql.js') },
  query: { summary: 'run a named analytics query: neva query NAME --param k=v (alone: list them)', load: () => import('./commands/query.js') },
  migrate: { summary: 'apply the ClickHouse schema; --cluster NAME --print renders it as cluster DDL', load: () => import('./commands/migrate.js') },
  decode: { summary: 'decode a device capture to NDJSON: neva decode --protocol hl7v2|astm|oximeter-ascii|oximeter-binary FILE, or --protocol wfdb FILE.hea', load: () => import('./commands/decode.js') },
  bench: { summary: 'benchmarks against a baseline in the same run: neva bench ingest', load: () => import('./commands/bench.js') },
  user: { summary: 'accounts: neva user add|grant|revoke|disable|enable|passwd|list (data dir, or --core URL)', load: () => import('./commands/user.js') },
  model: { summary: 'triage model pipeline: neva model train|eval', load: () => import('./commands/model.js') },
  fhir: { summary: 'FHIR R4 export: neva fhir export --patient ID [--since T] | --ndjson DIR --since T --until T', load: () => import('./commands/fhir.js') },
  ctg: { summary: 'FIGO 2015 CTG classification: neva ctg classify FILE.hea… | --pattern P', load: () => import('./commands/ctg.js') },
}
