// A throw-away certificate for 127.0.0.1 (openssl): the bench upstream and moto answer over HTTPS
// with it, as the clouds and Secrets Manager do, and the bundle tests offer HTTP/2 over TLS with it.
// Clients trust it through NODE_EXTRA_CA_CERTS.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface Certificate {
  certFile: string;
  keyFile: string;
}

export const makeCertificate = async (dir: string): Promise<Certificate> => {
  const certFile = join(dir, 'loopback-cert.pem');
  const keyFile = join(dir, 'loopback-key.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { certFile, keyFile };
};
