// neva user add|grant|revoke|disable|enable|passwd|list: accounts, on the data directory (or the
// configured ClickHouse server) when no core runs, or through a running core's admin API with
// --core URL (the embedded ClickHouse belongs to one process at a time). The first admin is made
// here, on the data directory: `neva user add ada --name "Ada" --role admin`.
import { randomBytes } from 'node:crypto'
import { Value } from '@sinclair/typebox/value'
import { clickhouseConfigFromEnv, connectClickHouse, migrate, PeopleStore } from '@neva/analytics'
import { Grants, NewUser, ROLES, type UserAccount } from '@neva/contracts'
import { PEOPLE_DEFAULTS, People } from '@neva/core'
import { parse, UsageError } from '../args.js'

const USAGE = `usage: neva user add ID --name NAME --role ROLE [--role …] [--ward "SITE/WARD" …] [--site SITE …]
       neva user grant|revoke ID [--role ROLE …] [--ward "SITE/WARD" …] [--site SITE …]
       neva user disable|enable|passwd ID
       neva user list [--json]
  where: --data DIR (default ./data) when no core runs, or --core URL with NEVA_ADMIN_USER and
  NEVA_ADMIN_PASSWORD (an admin account) to go through the running core.
  Passwords: NEVA_USER_PASSWORD, else one is generated and printed once. Roles: ${ROLES.join(', ')}.`

/** The operations, whichever way they reach the accounts. */
interface Accounts {
  list(): Promise<UserAccount[]>
  add(user: NewUser): Promise<UserAccount>
  grant(id: string, grants: Grants): Promise<UserAccount>
  revoke(id: string, grants: Grants): Promise<UserAccount>
  disabled(id: string, disabled: boolean): Promise<UserAccount>
  passwd(id: string, password: string): Promise<UserAccount>
  close(): Promise<void>
}

async function direct(data: string | undefined): Promise<Accounts> {
  const config = clickhouseConfigFromEnv()
  if (data) config.path = `${data}/clickhouse`
  const ch = await connectClickHouse(config)
  await migrate(ch)
  const people = new People(new PeopleStore(ch), PEOPLE_DEFAULTS)
  await people.reload()
  const by = `cli:${process.env.USER ?? 'unknown'}`
  return {
    list: async () => people.list(),
    add: (user) => people.add(user, by),
    grant: (id, g) => people.grant(id, by, g),
    revoke: (id, g) => people.revoke(id, by, g),
    disabled: (id, d) => people.setDisabled(id, by, d),
    passwd: (id, p) => people.setPassword(id, by, p),
    close: () => ch.close(),
  }
}

async function viaCore(url: string): Promise<Accounts> {
  const user = process.env.NEVA_ADMIN_USER
  const password = process.env.NEVA_ADMIN_PASSWORD
  if (!user || !password) throw new UsageError('--core: set NEVA_ADMIN_USER and NEVA_ADMIN_PASSWORD (an account with the admin role)')
  const base = url.replace(/\/+$/, '')
  const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password }) })
  if (login.status !== 200) throw new Error(`login to ${base} as ${user}: ${login.status} ${await login.text()}`)
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c?.includes('neva_session='))!
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { cookie, origin: new URL(base).origin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const answer = (await res.json()) as Record<string, unknown>
    if (!res.ok) throw new UsageError(`${method} ${path}: ${res.status} ${String(answer.error)}: ${String(answer.message)}`)
    return answer
  }
  const id = (x: string) => encodeURIComponent(x)
  return {
    list: async () => (await call('GET', '/v1/admin/users')).users as UserAccount[],
    add: async (u) => (await call('POST', '/v1/admin/users', u)) as unknown as UserAccount,
    grant: async (u, g) => (await call('POST', `/v1/admin/users/${id(u)}/grant`, g)) as unknown as UserAccount,
    revoke: async (u, g) => (await call('POST', `/v1/admin/users/${id(u)}/revoke`, g)) as unknown as UserAccount,
    disabled: async (u, d) => (await call('PUT', `/v1/admin/users/${id(u)}/disabled`, { disabled: d })) as unknown as UserAccount,
    passwd: async (u, p) => (await call('PUT', `/v1/admin/users/${id(u)}/password`, { password: p })) as unknown as UserAccount,
    close: async () => {
      await fetch(`${base}/logout`, { method: 'POST', headers: { cookie, origin: new URL(base).origin } }).catch(() => {})
    },
  }
}

function checked<T>(schema: Parameters<typeof Value.Check>[0], value: unknown, what: string): T {
  if (Value.Check(schema, value)) return value as T
  const first = [...Value.Errors(schema, value)][0]
  throw new UsageError(`${what}: ${first?.path || '(value)'} ${first?.message ?? 'is invalid'}`)
}

const show = (u: UserAccount) =>
  `${u.id.padEnd(16)} ${u.disabled ? 'DISABLED ' : ''}${u.name}  roles: ${u.roles.join(', ') || '–'}  wards: ${u.wards.join('; ') || '–'}  sites: ${u.sites.join('; ') || '–'}`

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    name: { type: 'string' },
    role: { type: 'string', multiple: true },
    ward: { type: 'string', multiple: true },
    site: { type: 'string', multiple: true },
    data: { type: 'string' },
    core: { type: 'string' },
    json: { type: 'boolean', default: false },
  }, true)
  const [action, id] = positionals
  if (!action || !['add', 'grant', 'revoke', 'disable', 'enable', 'passwd', 'list'].includes(action)) throw new UsageError(USAGE)
  if (action !== 'list' && !id) throw new UsageError(`neva user ${action}: which account?\n${USAGE}`)
  const grants = {
    ...(values.role ? { roles: values.role } : {}),
    ...(values.ward ? { wards: values.ward } : {}),
    ...(values.site ? { sites: values.site } : {}),
  }
  const generated = randomBytes(15).toString('base64url')
  const password = process.env.NEVA_USER_PASSWORD || generated
  const accounts = values.core ? await viaCore(values.core) : await direct(values.data ?? './data')
  try {
    let result: UserAccount | undefined
    switch (action) {
      case 'list': {
        const users = await accounts.list()
        process.stdout.write(values.json ? `${JSON.stringify(users)}\n` : users.map((u) => `${show(u)}\n`).join('') || 'no accounts\n')
        return 0
      }
      case 'add':
        result = await accounts.add(checked<NewUser>(NewUser, { id, name: values.name ?? id, password, roles: values.role ?? [], ...grants }, 'neva user add'))
        break
      case 'grant':
      case 'revoke':
        result = await accounts[action](id!, checked<Grants>(Grants, grants, `neva user ${action}`))
        break
      case 'disable':
      case 'enable':
        result = await accounts.disabled(id!, action === 'disable')
        break
      case 'passwd':
        result = await accounts.passwd(id!, checked<{ password: string }>(NewUser.properties.password, password, 'NEVA_USER_PASSWORD') as unknown as string)
        break
    }
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${show(result!)}\n`)
    if ((action === 'add' || action === 'passwd') && password === generated) process.stderr.write(`password for ${id}: ${generated}   (shown once)\n`)
    return 0
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('NEVA_CORE_')) throw new UsageError((err as Error).message)
    throw err
  } finally {
    await accounts.close()
  }
}
