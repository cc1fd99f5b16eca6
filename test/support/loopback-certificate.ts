// A self-signed certificate for 127.0.0.1 (made with the openssl CLI) in a temporary directory, for
// the HTTPS servers tests stand up on loopback. remove() deletes the directory.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Makes the key and certificate; `certFile` is what a client trusts as its CA file. */
export async function createLoopbackCertificate(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return {
    certFile,
    /** Key and certificate, as https.createServer takes them. */
    tls: { key: await readFile(keyFile), cert: await readFile(certFile) },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
