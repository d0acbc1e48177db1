import { connect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls';
import { isIP } from 'node:net';

/** What the device's TLS handshake showed: who it says it is, who vouches, and whether we trust it. */
export interface TlsFacts {
  authorized: boolean;
  /** Node's reason when not authorized (UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID…). */
  error?: string;
  subject?: string;
  altNames?: string;
  issuer?: string;
  validTo?: string;
  /** Certificates the device sent, leaf first. */
  chain: string[];
}

const cn = (c: PeerCertificate | undefined): string | undefined => {
  const v = c?.subject?.CN;
  return Array.isArray(v) ? v.join(',') : v;
};

function chainOf(leaf: DetailedPeerCertificate): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (
    let c: DetailedPeerCertificate | undefined = leaf;
    c && !seen.has(c.fingerprint256);
    c = c.issuerCertificate
  ) {
    seen.add(c.fingerprint256);
    out.push(cn(c) ?? c.fingerprint256.slice(0, 16));
  }
  return out;
}

/**
 * One TLS handshake with the CA the device spec trusts (nothing else), to show the chain and name
 * checks the operator's client applies. It never sends an HTTP request, so it cannot count as a login.
 */
export function probeTls(url: string, ca: string | undefined, timeoutMs = 5_000): Promise<TlsFacts> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(u.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      ...(ca ? { ca } : {}),
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const leaf = socket.getPeerCertificate(true);
      const facts: TlsFacts = {
        authorized: socket.authorized,
        ...(socket.authorizationError ? { error: String(socket.authorizationError) } : {}),
        ...(cn(leaf) ? { subject: cn(leaf) } : {}),
        ...(leaf.subjectaltname ? { altNames: leaf.subjectaltname } : {}),
        ...((cn(leaf.issuerCertificate) ?? leaf.issuer?.CN)
          ? { issuer: cn(leaf.issuerCertificate) ?? String(leaf.issuer.CN) }
          : {}),
        ...(leaf.valid_to ? { validTo: leaf.valid_to } : {}),
        chain: chainOf(leaf),
      };
      socket.end();
      resolve(facts);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
    });
    socket.once('error', reject);
  });
}
