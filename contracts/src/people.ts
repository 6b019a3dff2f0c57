// People who use the core: their roles and the wards and sites granted to them, as the core's
// routes see them (request.user) and as admins manage them (/v1/admin/users).
import { Type, type Static } from '@sinclair/typebox'
import { literals } from './observation.js'

/**
 * clinician, nurse: see patients of the wards or sites granted to them. analyst: pseudonymous
 * analyst SQL. admin: manages accounts and gateway credentials; sees no patient unless granted.
 */
export const ROLES = ['clinician', 'nurse', 'analyst', 'admin'] as const
export type Role = (typeof ROLES)[number]
export const RoleSchema = literals(ROLES)

/** How the person proved who they are: a local account's session, or their hospital's OIDC token. */
export type UserVia = 'session' | 'oidc'

/** The person behind a request. */
export interface User {
  id: string
  name: string
  roles: Role[]
  /** "site/ward" pairs, e.g. "City Hospital 1/ICU": ward names repeat from one hospital to another. */
  wards: string[]
  /** Whole sites (clinics, hospitals), every ward in them. */
  sites: string[]
  via: UserVia
}

/** Where a patient is: the site and ward of their open encounter (ward null outside a ward, e.g. an ED arrival). */
export interface Place {
  site: string
  ward: string | null
}

/** Login name of a local account: what a person types, so letters, digits and . _ - only. */
export const UserId = Type.String({ minLength: 2, maxLength: 64, pattern: '^[a-z0-9][a-z0-9._-]*$' })
/** At least 12 characters (NIST SP 800-63B allows long passphrases; no composition rules). */
export const Password = Type.String({ minLength: 12, maxLength: 256 })
export const SiteGrant = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^/]+$' })
export const WardGrant = Type.String({ minLength: 3, maxLength: 129, pattern: '^[^/]+/[^/]+$' })

export const Grants = Type.Object(
  {
    roles: Type.Optional(Type.Array(RoleSchema, { maxItems: 4 })),
    wards: Type.Optional(Type.Array(WardGrant, { maxItems: 200 })),
    sites: Type.Optional(Type.Array(SiteGrant, { maxItems: 200 })),
  },
  { additionalProperties: false },
)
export type Grants = Static<typeof Grants>

export const NewUser = Type.Object(
  {
    id: UserId,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    password: Password,
    roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 4 }),
    wards: Type.Optional(Type.Array(WardGrant, { maxItems: 200 })),
    sites: Type.Optional(Type.Array(SiteGrant, { maxItems: 200 })),
  },
  { additionalProperties: false },
)
export type NewUser = Static<typeof NewUser>

/** An account as an admin sees it: never its password hash. */
export interface UserAccount {
  id: string
  name: string
  roles: Role[]
  wards: string[]
  sites: string[]
  disabled: boolean
  updated_at: number
  updated_by: string
}

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    next: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
)
export type LoginBody = Static<typeof LoginBody>

/** Can this person see a patient at this place? Granted the whole site, or that ward of that site. */
export function canSee(user: Pick<User, 'wards' | 'sites'> | undefined, place: Place): boolean {
  if (!user) return false
  if (user.sites.includes(place.site)) return true
  return place.ward !== null && user.wards.includes(`${place.site}/${place.ward}`)
}
