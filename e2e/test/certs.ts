// A twin of edge/test/certs.ts (the edge's own TLS tests use that one; packages share no test files).
// Throwaway certificates for TLS tests, made with openssl at test time in a temp directory: a CA,
// a server certificate for 127.0.0.1 and client certificates (CN = a device's login), plus a
// second, unrelated CA for certificates the gateway must refuse.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './helpers.js'

export interface Pem {
  cert: string
  key: string
  certFile: string
  keyFile: string
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

const pem = (dir: string, name: string): Pem => ({
  cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
  key: readFileSync(join(dir, `${name}.key`), 'utf8'),
  certFile: join(dir, `${name}.crt`),
  keyFile: join(dir, `${name}.key`),
})

export class TestCa {
  readonly dir = tempDir('pki')
  readonly ca: Pem

  constructor(readonly name = 'neva-test-ca') {
    openssl(['req', '-x509', ...KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', `/CN=${name}`, '-days', '2'], this.dir)
    this.ca = pem(this.dir, 'ca')
  }

  /** A certificate this CA signs; `ip` puts it in subjectAltName (a server's). */
  issue(file: string, cn: string, { ip, clientAuth = false }: { ip?: string; clientAuth?: boolean } = {}): Pem {
    const ext = join(this.dir, `${file}.ext`)
    writeFileSync(ext, [ip ? `subjectAltName=IP:${ip}` : '', `extendedKeyUsage=${clientAuth ? 'clientAuth' : 'serverAuth'}`].filter(Boolean).join('\n') + '\n')
    openssl(['req', '-new', ...KEY, '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${cn}`], this.dir)
    openssl(['x509', '-req', '-in', `${file}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${file}.crt`, '-days', '2', '-extfile', ext], this.dir)
    return pem(this.dir, file)
  }
}
