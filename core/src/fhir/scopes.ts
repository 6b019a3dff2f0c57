// SMART-on-FHIR style scopes on OIDC tokens: patient/<Type>.read (only the token's patient claim),
// user/<Type>.read (what the user's grants allow), "*" for every type; SMART v2 ".rs" and ".r"
// read the same. A session (the boards' login) reads every type within the user's grants.
export interface FhirAccess {
  /** May read resources of this type. */
  types: Set<string> | 'all'
  /** patient/ scopes only: the one patient the token is for. */
  patient?: string
}

const SCOPE = /^(patient|user)\/(\*|[A-Z][A-Za-z]+)\.(read|rs|r|\*)$/

export function accessOf(scopes: readonly string[] | undefined, patientClaim: string | undefined): FhirAccess {
  if (scopes === undefined) return { types: 'all' }
  const user = new Set<string>()
  const patient = new Set<string>()
  for (const scope of scopes) {
    const m = SCOPE.exec(scope)
    if (m) (m[1] === 'user' ? user : patient).add(m[2]!)
  }
  // user/ scopes win where both are given; patient/ ones need the token's patient.
  if (user.size > 0) return { types: user.has('*') ? 'all' : user }
  if (patient.size > 0 && patientClaim !== undefined) return { types: patient.has('*') ? 'all' : patient, patient: patientClaim }
  return { types: new Set() }
}

export const allows = (access: FhirAccess, type: string) => access.types === 'all' || access.types.has(type) || access.types.has('*')
