import { generate } from 'selfsigned';

export interface GeneratedTls {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A throw-away CA and a server certificate it signs for 127.0.0.1, ::1 and localhost, so a client
 * can verify the simulator the way it verifies a device (trusting a CA, not skipping checks).
 */
export async function generateTls(extraHosts: readonly string[] = []): Promise<GeneratedTls> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 365 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'fortisync simulator CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const ipHosts = [
    '127.0.0.1',
    '::1',
    ...extraHosts.filter((h) => /^[\d.:a-f]+$/i.test(h) && h.includes('.') !== h.includes(':')),
  ];
  const dnsHosts = ['localhost', ...extraHosts.filter((h) => !ipHosts.includes(h))];
  const server = await generate([{ name: 'commonName', value: 'fortisync-simulator' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...[...new Set(dnsHosts)].map((value) => ({ type: 2 as const, value })),
          ...[...new Set(ipHosts)].map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { caCertPem: ca.cert, certPem: server.cert, keyPem: server.private };
}
