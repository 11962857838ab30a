/**
 * Test PKI made with the `openssl` command in a fresh temp dir: a CA, a server certificate for
 * 127.0.0.1 (SAN IP:127.0.0.1) and a client certificate, all signed by that CA, EC P-256, valid 2 days.
 *
 *   const pki = await makeTestPki()      // { dir, ca, serverCert, serverKey, clientCert, clientKey, remove() }
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { findExecutable, runCommand } from './mosquitto.ts'

export interface TestPki {
  dir: string
  /** CA certificate (PEM); give it as --ca. */
  ca: string
  caKey: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  remove(): Promise<void>
}

/** Undefined when openssl can run here; otherwise why the TLS tests are skipped. */
export function opensslAvailable(): string | undefined {
  return findExecutable('openssl') === undefined ? 'openssl not found on PATH (needed to make test certificates)' : undefined
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  const r = await runCommand(findExecutable('openssl')!, args, 20_000, { env: { ...process.env, OPENSSL_CONF: '/dev/null', RANDFILE: path.join(cwd, '.rnd') } })
  if (r.code !== 0) throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim() || r.stdout.trim()}`)
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** A leaf certificate for `cn`, signed by the CA in `dir`, with the given X.509 v3 extensions. */
async function leaf(dir: string, name: string, cn: string, extensions: readonly string[]): Promise<void> {
  const f = (ext: string): string => path.join(dir, `${name}.${ext}`)
  await openssl(['req', ...EC, '-keyout', f('key'), '-out', f('csr'), '-subj', `/CN=${cn}`], dir)
  await writeFile(f('ext'), `${extensions.join('\n')}\n`)
  await openssl(['x509', '-req', '-in', f('csr'), '-CA', path.join(dir, 'ca.pem'), '-CAkey', path.join(dir, 'ca.key'), '-CAcreateserial',
    '-out', f('pem'), '-days', '2', '-sha256', '-extfile', f('ext')], dir)
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fleetbench-pki-'))
  try {
    await openssl(['req', '-x509', ...EC, '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.pem'), '-days', '2', '-sha256',
      '-subj', '/CN=fleetbench test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
    await leaf(dir, 'server', '127.0.0.1', ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1'])
    await leaf(dir, 'client', 'fleetbench test client', ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'])
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const p = (f: string): string => path.join(dir, f)
  return {
    dir,
    ca: p('ca.pem'),
    caKey: p('ca.key'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}
