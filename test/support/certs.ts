import { generateKeyPairSync } from 'node:crypto';
import { createCa, issueCertificate, type KeyPair } from '../../src/tls/pki.js';

export type { KeyPair };

export interface ControlPlaneCerts {
  ca: KeyPair;
  /** Serving certificate of kube-apiserver for 127.0.0.1 and localhost. */
  apiserver: KeyPair;
  /** Client certificate in group system:masters: the test suite's cluster-admin. */
  admin: KeyPair;
  /** Service-account token signing key pair (PEM). */
  serviceAccount: { publicKey: string; privateKey: string };
}

/** Throwaway PKI for one control plane; nothing here is ever trusted outside the test run. */
export async function generateControlPlaneCerts(): Promise<ControlPlaneCerts> {
  const ca = await createCa('fortisync-testenv-ca', 30);
  const apiserver = await issueCertificate(ca, {
    commonName: 'kube-apiserver',
    days: 30,
    server: {
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ips: ['127.0.0.1'],
    },
  });
  const admin = await issueCertificate(ca, {
    commonName: 'fortisync-test-admin',
    organization: 'system:masters',
    client: true,
    days: 30,
  });
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { ca, apiserver, admin, serviceAccount: { publicKey: sa.publicKey, privateKey: sa.privateKey } };
}
