import { generate } from 'selfsigned';

export interface KeyPair {
  cert: string;
  key: string;
}

const DAY_MS = 24 * 3600 * 1000;

function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  // Back-dated a minute so a peer whose clock runs slightly behind still accepts it.
  const notBeforeDate = new Date(Date.now() - 60_000);
  return { notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + days * DAY_MS) };
}

/** A throw-away CA (EC P-256), for the simulator and the test control plane. */
export async function createCa(commonName: string, days = 365): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...validity(days),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface LeafOptions {
  commonName: string;
  organization?: string;
  /** Server certificate for these DNS names and IP addresses. */
  server?: { dns: readonly string[]; ips: readonly string[] };
  /** Client certificate (TLS client authentication). */
  client?: boolean;
  days?: number;
}

/** A certificate signed by `ca`, for a server, a client, or both. */
export async function issueCertificate(ca: KeyPair, opts: LeafOptions): Promise<KeyPair> {
  const subject = [
    { name: 'commonName', value: opts.commonName },
    ...(opts.organization ? [{ name: 'organizationName', value: opts.organization }] : []),
  ];
  const pems = await generate(subject, {
    keyType: 'ec',
    algorithm: 'sha256',
    ...validity(opts.days ?? 365),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: Boolean(opts.server), critical: true },
      { name: 'extKeyUsage', serverAuth: Boolean(opts.server), clientAuth: Boolean(opts.client) },
      ...(opts.server
        ? [
            {
              name: 'subjectAltName' as const,
              altNames: [
                ...[...new Set(opts.server.dns)].map((value) => ({ type: 2 as const, value })),
                ...[...new Set(opts.server.ips)].map((ip) => ({ type: 7 as const, ip })),
              ],
            },
          ]
        : []),
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
