import type { ValidDeviceSpec } from '../../api/v1alpha1/validation.js';
import { errorText } from './errors.js';
import { probeTls, type TlsFacts } from './tls-probe.js';

/** The lines of a preflight (`check`) of either kind, and the TLS check both kinds share. */
export type CheckResult = 'ok' | 'fail' | 'warn' | 'info' | 'skipped';

export interface CheckLine {
  check: string;
  result: CheckResult;
  detail: string;
}

/** Stops the preflight: nothing after this line can be checked. */
export class Stop extends Error {}

export class Checks {
  readonly lines: CheckLine[] = [];
  add(check: string, result: CheckResult, detail: string): void {
    this.lines.push({ check, result, detail });
  }
  fail(check: string, detail: string): never {
    this.add(check, 'fail', detail);
    throw new Stop();
  }
}

export async function tlsCheck(
  c: Checks,
  spec: Pick<ValidDeviceSpec, 'url' | 'tls'>,
  ca: string | undefined,
): Promise<void> {
  if (new URL(spec.url).protocol !== 'https:') {
    c.add('tls', 'warn', 'plain HTTP: the credentials cross the network in clear text');
    return;
  }
  let t: TlsFacts;
  try {
    t = await probeTls(spec.url, ca);
  } catch (err) {
    c.fail(
      'reachability',
      `${spec.url}: ${errorText(err)} (from this machine; the operator connects from the cluster)`,
    );
  }
  const who = `certificate ${t.subject ?? '?'} (${t.altNames ?? 'no subjectAltName'}), issued by ${t.issuer ?? '?'}, valid until ${t.validTo ?? '?'}; chain sent: ${t.chain.join(' → ')}`;
  const trust = ca ? 'the CA of spec.tls' : "the system's CAs";
  if (t.authorized) c.add('tls', 'ok', `${who}; trusted by ${trust}, name matches`);
  else if (spec.tls?.insecureSkipVerify)
    c.add(
      'tls',
      'warn',
      `${who}; NOT verified (${t.error ?? '?'}), and spec.tls.insecureSkipVerify accepts it: anyone in the path can read the credentials`,
    );
  else
    c.fail(
      'tls',
      `${who}; not trusted by ${trust}: ${t.error ?? '?'}; fix spec.tls (caBundle, caSecretRef or caConfigMapRef) or the name in spec.url`,
    );
}
