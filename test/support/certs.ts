import { generateKeyPairSync } from 'node:crypto';
import { generate } from 'selfsigned';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface ControlPlaneCerts {
  ca: KeyPair;
  /** Serving certificate of kube-apiserver for 127.0.0.1 and localhost. */
  apiserver: KeyPair;
  /** Client certificate in group system:masters: the test suite's cluster-admin. */
  admin: KeyPair;
  /** Service-account token signing key pair (PEM). */
  serviceAccount: { publicKey: string; privateKey: string };
}

const DAY_MS = 24 * 3600 * 1000;

/** Throwaway PKI for one control plane; nothing here is ever trusted outside the test run. */
export async function generateControlPlaneCerts(): Promise<ControlPlaneCerts> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 30 * DAY_MS);
  const caPems = await generate([{ name: 'commonName', value: 'fortisync-testenv-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const ca = { cert: caPems.cert, key: caPems.private };
  const apiserverPems = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'kubernetes' },
          { type: 2, value: 'kubernetes.default' },
          { type: 2, value: 'kubernetes.default.svc' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const adminPems = await generate(
    [
      { name: 'commonName', value: 'fortisync-test-admin' },
      { name: 'organizationName', value: 'system:masters' },
    ],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      ca,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
      ],
    },
  );
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    ca,
    apiserver: { cert: apiserverPems.cert, key: apiserverPems.private },
    admin: { cert: adminPems.cert, key: adminPems.private },
    serviceAccount: { publicKey: sa.publicKey, privateKey: sa.privateKey },
  };
}
