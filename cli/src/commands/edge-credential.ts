// neva edge-credential: makes the secrets a gateway's config holds only as hashes.
//   device  a device's MQTT login: an argon2id hash for mqtt.credentials (the password goes to
//           the device, never into the config);
//   api     the bearer token for the gateway API's patient data: its sha256 for api.token_sha256.
// The config entry goes to stdout (to paste or pipe); the secret to stderr, once.
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseGatewayConfig } from '@neva/edge/config'
import { DEFAULT_ARGON2, hashPassword } from '@neva/edge/password-hash'
import { numberOption, parse, UsageError } from '../args.js'

const USAGE = `usage: neva edge-credential device --username NAME [--device ID|PREFIX*]… [--patient ID|PREFIX*]… [--password-stdin] [--memory-kib ${DEFAULT_ARGON2.m}] [--passes ${DEFAULT_ARGON2.t}]
       neva edge-credential api [--token-stdin]
  Without --password-stdin / --token-stdin a random secret is made and printed on stderr.`

const secret = () => randomBytes(24).toString('base64url')
/** The first line of stdin, without its line ending. */
const stdinLine = () => readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? ''

export async function run(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv
  if (kind === 'api') {
    const { values } = parse(rest, { 'token-stdin': { type: 'boolean', default: false } })
    const token = values['token-stdin'] ? stdinLine() : secret()
    if (token.length < 16) throw new UsageError('the token must be at least 16 characters')
    process.stdout.write(`${JSON.stringify({ token_sha256: createHash('sha256').update(token, 'utf8').digest('hex') })}\n`)
    if (!values['token-stdin']) process.stderr.write(`token (send as "Authorization: Bearer …"; not stored anywhere): ${token}\n`)
    return 0
  }
  if (kind !== 'device') throw new UsageError(USAGE)
  const { values } = parse(rest, {
    username: { type: 'string' },
    device: { type: 'string', multiple: true },
    patient: { type: 'string', multiple: true },
    'password-stdin': { type: 'boolean', default: false },
    'memory-kib': { type: 'string' },
    passes: { type: 'string' },
  })
  if (!values.username) throw new UsageError(USAGE)
  const password = values['password-stdin'] ? stdinLine() : secret()
  if (password.length < 12) throw new UsageError('the password must be at least 12 characters')
  const params = {
    m: numberOption(values['memory-kib'], 'memory-kib', DEFAULT_ARGON2.m, { min: 8, integer: true }),
    t: numberOption(values.passes, 'passes', DEFAULT_ARGON2.t, { min: 1, integer: true }),
    p: DEFAULT_ARGON2.p,
  }
  const entry = {
    username: values.username,
    password_hash: hashPassword(password, params),
    ...(values.device ? { device_ids: values.device } : {}),
    ...(values.patient ? { patient_ids: values.patient } : {}),
  }
  // The gateway's own validation: what it would refuse at start-up is refused here.
  parseGatewayConfig({ gateway_id: 'check', core: { token: 'check' }, mqtt: { credentials: [entry] } }, 'credential')
  process.stdout.write(`${JSON.stringify(entry)}\n`)
  if (!values['password-stdin']) process.stderr.write(`password for ${values.username} (give it to the device; not stored anywhere): ${password}\n`)
  return 0
}
