// Who may see the boards: the boards ask the core's login (the people plugin) through this one
// interface, so that the boards never decide on their own who someone is.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CoreError } from '../errors.js'

export const ROLES = ['clinician', 'nurse', 'analyst', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface BoardUser {
  id: string
  name: string
  roles: Role[]
  wards: string[]
  sites: string[]
}

export interface BoardAccess {
  /** A hook that refuses a request without a logged-in user holding one of `roles`. */
  require(...roles: Role[]): (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** The user a `require` hook let through. */
  user(request: FastifyRequest): BoardUser
  canSee(user: BoardUser, place: { site: string; ward: string | null }): boolean
  /** Records that `request`'s user viewed a patient's data. */
  auditView(request: FastifyRequest, view: { patient_id: string; what: string }): Promise<void>
}

/** Until login is available: every board request is refused, nothing is shown to anyone. */
export const noLogin: BoardAccess = {
  require: () => async () => {
    throw new CoreError('NEVA_CORE_UNAUTHORIZED', 'login is not available on this core')
  },
  user: () => {
    throw new CoreError('NEVA_CORE_UNAUTHORIZED', 'login is not available on this core')
  },
  canSee: () => false,
  auditView: async () => {},
}

/** The roles that work with the boards. */
export const BOARD_ROLES: Role[] = ['clinician', 'nurse', 'admin']
