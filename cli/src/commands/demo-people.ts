// The demo's people: its patients placed on wards of one hospital (as a hospital system would
// send them), and an account per role, with passwords printed so a person can log in to the
// boards while the demo runs.
import { randomBytes } from 'node:crypto'
import { EmrStore } from '@neva/analytics'
import type { Core } from '@neva/core'
import type { Encounter, NewUser } from '@neva/contracts'

export const DEMO_SITE = 'City Hospital 1'

export interface DemoAccount {
  id: string
  password: string
  roles: string
  sees: string
}

export async function seedDemoPeople(core: Core, wards: { ED: string[]; ICU: string[]; Therapy: string[] }): Promise<DemoAccount[]> {
  const now = Date.now()
  const kinds = { ED: 'ed_arrival', ICU: 'icu_stay', Therapy: 'admission' } as const
  const encounters: Encounter[] = Object.entries(wards).flatMap(([ward, patients]) => patients.map((patient_id) => ({
    type: 'encounter' as const, encounter_id: `demo-${patient_id}`, patient_id, kind: kinds[ward as keyof typeof kinds], site: DEMO_SITE, ward,
    start_time: now, end_time: null, updated_time: now,
  })))
  await new EmrStore(core.clickhouse).store(encounters, 'neva-demo')
  const accounts: Array<Omit<NewUser, 'password'> & { sees: string }> = [
    { id: 'icu-nurse', name: 'ICU Nurse', roles: ['nurse'], wards: [`${DEMO_SITE}/ICU`], sees: `the ICU of ${DEMO_SITE}` },
    { id: 'ed-doctor', name: 'ED Physician', roles: ['clinician'], wards: [`${DEMO_SITE}/ED`], sees: `the ED (ambulances) of ${DEMO_SITE}` },
    { id: 'analyst', name: 'Analyst', roles: ['analyst'], sees: 'pseudonymous analyst SQL' },
    { id: 'admin', name: 'Admin', roles: ['admin'], sees: 'accounts and gateway credentials, no patient' },
  ]
  const out: DemoAccount[] = []
  for (const { sees, ...account } of accounts) {
    const password = randomBytes(12).toString('base64url')
    await core.people.add({ ...account, password }, 'neva-demo')
    out.push({ id: account.id, password, roles: account.roles.join(', '), sees })
  }
  return out
}
