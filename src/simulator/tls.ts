import { createCa, issueCertificate } from '../tls/pki.js';

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
  const ca = await createCa('fortisync simulator CA');
  const ipHosts = [
    '127.0.0.1',
    '::1',
    ...extraHosts.filter((h) => /^[\d.:a-f]+$/i.test(h) && h.includes('.') !== h.includes(':')),
  ];
  const dnsHosts = ['localhost', ...extraHosts.filter((h) => !ipHosts.includes(h))];
  const server = await issueCertificate(ca, {
    commonName: 'fortisync-simulator',
    server: { dns: dnsHosts, ips: ipHosts },
  });
  return { caCertPem: ca.cert, certPem: server.cert, keyPem: server.key };
}
