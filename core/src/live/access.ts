// Who may see the boards: the boards ask the core's login (plugins/people.ts) through this one
// interface, so that the boards never decide on their own who someone is.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { canSee, type Place, type Role, type User } from '@neva/contracts'
import { CoreError } from '../errors.js'

export type BoardUser = Pick<User, 'id' | 'name' | 'roles' | 'wards' | 'sites'>

export interface BoardAccess {
  /** A hook that refuses a request without a logged-in user holding one of `roles` (pages go to /login). */
  require(...roles: Role[]): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  /** The user a `require` hook let through. */
  user(request: FastifyRequest): BoardUser
  /**
   * The same user as of now, with their current roles and grants, or undefined once the session
   * ended or expired, the account was disabled or the token expired. Called on every delivery of
   * a live stream: from memory, no query.
   */
  current(request: FastifyRequest): BoardUser | undefined
  /** Calls `listener` whenever an account or a session changed (here or on another core); returns the unsubscribe. */
  watch(listener: () => void): () => void
  canSee(user: BoardUser, place: Place): boolean
  /** Records that `request`'s user viewed a patient's data (the audit table). */
  auditView(request: FastifyRequest, view: { patient_id: string; what: string }): Promise<void>
}

/** The core's login: sessions or OIDC tokens, ward and site grants, the audit table. */
export function peopleAccess(app: FastifyInstance): BoardAccess {
  return {
    require: (...roles) => app.requireUser(...roles),
    user: (request) => {
      if (!request.user) throw new CoreError('NEVA_CORE_UNAUTHENTICATED')
      return request.user
    },
    current: (request) => app.currentUser(request),
    watch: (listener) => app.people.onChange(() => listener()),
    canSee: (user, place) => canSee(user, place),
    auditView: (request, view) => app.auditView(request, view),
  }
}

/** The roles that work with the boards (an admin sees no patient unless granted a ward or site). */
export const BOARD_ROLES: Role[] = ['clinician', 'nurse', 'admin']
