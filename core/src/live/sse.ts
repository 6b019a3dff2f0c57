// Server-Sent Events frames shared by the boards' stream and the patient page's stream, so that both
// tell a client why they end it the same way.
import { CORE_ERRORS } from '../errors.js'

export const sseFrame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** The last frame of a stream that ends for `error` (the client reconnects, or reloads, and learns why). */
export const failureFrame = (error: keyof typeof CORE_ERRORS): string => sseFrame('failure', { error, message: CORE_ERRORS[error].message })
