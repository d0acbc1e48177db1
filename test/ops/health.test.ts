import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REASON_BY_KIND } from '../../src/controllers/device/reasons.js';
import { withHealthConditions } from '../../src/controllers/health-conditions.js';
import { repoRoot } from '../support/testenv-binaries.js';
import { verdicts, type Verdict } from '../support/tools.js';

// Every condition reason of docs/operate.md's table, on both kinds, through the libraries users'
// tools run: kstatus (sigs.k8s.io/cli-utils and Flux's fork) and Argo CD's Lua health check as
// Argo CD runs it (config/argocd/argocd-cm.yaml in gopher-lua). The doc's table is the test table.

const root = repoRoot();
const ARGOCD_CM = join(root, 'config/argocd/argocd-cm.yaml');
const KINDS = {
  mapping: 'FortiGateEndpointMapping',
  device: 'FortiGateDevice',
  target: 'FortiManagerTarget',
} as const;
type KindName = keyof typeof KINDS;

interface Row {
  reason: string;
  kinds: KindName[];
  ready: string;
  reconciling: boolean;
  stalled: boolean;
  kstatus: string;
  argocd: string;
  meaning: string;
}

function healthTable(): Row[] {
  const doc = readFileSync(join(root, 'docs/operate.md'), 'utf8');
  const table = /<!-- health-table:start -->([\s\S]*?)<!-- health-table:end -->/.exec(doc)?.[1] ?? '';
  return table
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      const [reason = '', kinds, ready = '', reconciling, stalled, kstatus = '', argocd = '', meaning = ''] =
        l
          .split('|')
          .slice(1)
          .map((c) => c.trim().replace(/`/g, ''));
      return {
        reason,
        // A FortiManagerTarget reports what a device reports (the same conditions, written by the
        // same sync): the table's device column holds for both.
        kinds:
          kinds === 'both'
            ? ['mapping', 'device', 'target']
            : kinds === 'device'
              ? ['device', 'target']
              : [kinds as KindName],
        ready,
        reconciling: reconciling === 'True',
        stalled: stalled === 'True',
        kstatus,
        argocd,
        meaning,
      };
    });
}

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

function condition(type: string, status: string, reason: string): Cond & { lastTransitionTime: string } {
  const message = `${type} ${status}: ${reason} (test)`;
  return { type, status, reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' };
}

/** An object as the target contract says the operator writes it for a row. */
function objectFor(kind: KindName, row: Row, name: string): Record<string, unknown> {
  const conditions = [condition('Ready', row.ready, row.reason)];
  conditions.push(condition('Reconciling', row.reconciling ? 'True' : 'False', row.reason));
  conditions.push(condition('Stalled', row.stalled ? 'True' : 'False', row.reason));
  if (kind === 'mapping') conditions.push(condition('Synced', row.ready, row.reason));
  else conditions.push(condition('Connected', row.ready === 'True' ? 'True' : 'False', row.reason));
  const deleting = row.reason === 'Deleting';
  return {
    apiVersion: 'fortisync.io/v1alpha1',
    kind: KINDS[kind],
    metadata: {
      name,
      ...(kind === 'mapping' ? { namespace: 'shop' } : {}),
      generation: 3,
      finalizers: ['fortisync.io/finalizer'],
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:01Z' } : {}),
    },
    spec: {},
    status: { observedGeneration: 3, conditions },
  };
}

function run(objects: Record<string, unknown>[]): { kstatus: Verdict[]; argocd: Verdict[] } {
  const kstatus = verdicts('kstatus', objects);
  const argocd = verdicts('argocd-health', objects, ['--argocd-cm', ARGOCD_CM]);
  expect(kstatus).toHaveLength(objects.length);
  expect(argocd).toHaveLength(objects.length);
  return { kstatus, argocd };
}

describe('GitOps health of every condition reason', () => {
  const rows = healthTable();

  it('the table lists every reason the operator sets', () => {
    const reasons = new Set(rows.map((r) => r.reason));
    expect(rows.length).toBeGreaterThan(30);
    // The reasons in the sources: FortiOS error classes, reference problems, and every literal
    // `reason: 'X'` (access, mapping states, plan limits, device problems).
    const read = (f: string): string => readFileSync(join(root, f), 'utf8');
    const used = new Set<string>(Object.values(REASON_BY_KIND));
    const refUnion = /readonly reason:([^,]*),/.exec(
      read('src/controllers/device/referenced-objects.ts'),
    )?.[1];
    for (const m of (refUnion ?? '').matchAll(/'([A-Za-z]+)'/g)) used.add(m[1] ?? '');
    for (const f of [
      'src/controllers/mapping/status.ts',
      'src/controllers/device/reconciler.ts',
      'src/controllers/device/execute.ts',
      'src/domain/desired.ts',
      'src/domain/plan.ts',
    ])
      for (const m of read(f).matchAll(/reason: '([A-Z][A-Za-z]+)'/g)) used.add(m[1] ?? '');
    expect(used.size).toBeGreaterThan(25);
    // Reasons of Kubernetes Events and of the Connected and InsecureTLS conditions, not of Ready.
    for (const other of [
      'AddressInUse',
      'DeleteFailed',
      'GroupCreated',
      'GroupDeleted',
      'GroupInUse',
      'Connected',
      'CertificateNotVerified',
    ])
      used.delete(other);
    expect([...used].filter((r) => !reasons.has(r)).sort()).toEqual([]);
  });

  it("the operator's own Reconciling/Stalled (withHealthConditions) match every row", () => {
    const got = rows.map((row) => {
      const ready = { ...condition('Ready', row.ready, row.reason), status: row.ready as 'True' | 'False' };
      const conditions = withHealthConditions([ready], {}, 0, row.meaning.includes('within the grace'));
      const status = (t: string): boolean => conditions.find((c) => c.type === t)?.status === 'True';
      return { reason: row.reason, reconciling: status('Reconciling'), stalled: status('Stalled') };
    });
    expect(got).toEqual(
      rows.map((r) => ({ reason: r.reason, reconciling: r.reconciling, stalled: r.stalled })),
    );
  });

  it('kstatus (both implementations) and Argo CD give the documented health for each row', () => {
    const cases = rows.flatMap((row, i) =>
      row.kinds.map((kind) => ({
        row,
        kind,
        obj: objectFor(kind, row, `r${i}-${row.reason.toLowerCase()}`),
      })),
    );
    const { kstatus, argocd } = run(cases.map((c) => c.obj));
    const got = cases.map((c, i) => ({
      reason: c.row.reason,
      kind: c.kind,
      stalled: c.row.stalled,
      kstatus: kstatus[i]?.status,
      flux: kstatus[i]?.fluxStatus,
      argocd: argocd[i]?.status,
    }));
    const want = cases.map((c) => ({
      reason: c.row.reason,
      kind: c.kind,
      stalled: c.row.stalled,
      kstatus: c.row.kstatus,
      flux: c.row.kstatus,
      argocd: c.row.argocd,
    }));
    expect(got).toEqual(want);
    // Messages carry the reason a person acts on.
    cases.forEach((c, i) => {
      if (c.row.stalled) expect(argocd[i]?.message).toContain(c.row.reason);
      if (c.row.stalled) expect(kstatus[i]?.message).toContain(c.row.reason);
    });
  });

  it('Argo CD gives the same verdict for the conditions the operator writes before Reconciling/Stalled', () => {
    // Only Ready (and Synced): the status of an operator that does not set the kstatus conditions.
    const rows2 = rows.filter((r) => !(r.reason === 'DeviceNotFound' && r.stalled));
    const objects = rows2.map((row, i) => {
      const obj = objectFor('mapping', row, `old-${i}`);
      const status = obj.status as { conditions: Cond[] };
      status.conditions = status.conditions.filter((c) => c.type === 'Ready' || c.type === 'Synced');
      return obj;
    });
    const { argocd } = run(objects);
    expect(argocd.map((v) => v.status)).toEqual(rows2.map((r) => r.argocd));
  });

  it('no status, a spec not yet observed, and deletion', () => {
    const base = objectFor('mapping', rows[0]!, 'fresh');
    const { status: _ignored, ...fresh } = base;
    const behind = { ...base, metadata: { ...(base.metadata as object), name: 'behind', generation: 4 } };
    const deleting = {
      ...base,
      metadata: { ...(base.metadata as object), name: 'gone', deletionTimestamp: '2026-01-01T00:00:01Z' },
    };
    const device = { ...objectFor('device', rows[0]!, 'new-device') };
    delete device.status;
    const { kstatus, argocd } = run([fresh, behind, deleting, device]);
    expect(kstatus.map((v) => v.status)).toEqual(['Current', 'InProgress', 'Terminating', 'Current']);
    expect(kstatus[1]?.message).toContain('generation is 4');
    expect(argocd.map((v) => v.status)).toEqual(['Progressing', 'Progressing', 'Progressing', 'Progressing']);
    expect(argocd[1]?.message).toBe('Waiting for fortisync to apply generation 4');
    expect(argocd[2]?.message).toBe('Pending deletion');
  });

  it('a device whose TLS is not verified is Healthy with a warning', () => {
    const obj = objectFor('device', rows[0]!, 'insecure');
    (obj.status as { conditions: Cond[] }).conditions.push(
      condition('InsecureTLS', 'True', 'CertificateNotVerified'),
    );
    const { kstatus, argocd } = run([obj]);
    expect(kstatus[0]?.status).toBe('Current');
    expect(argocd[0]).toMatchObject({ status: 'Healthy' });
    expect(argocd[0]?.message).toContain('warning: CertificateNotVerified');
  });

  it('argocd-cm.yaml holds health.lua verbatim under every kind', () => {
    const lua = readFileSync(join(root, 'config/argocd/health.lua'), 'utf8');
    const cm = parse(readFileSync(ARGOCD_CM, 'utf8')) as { data: Record<string, string> };
    expect(cm.data).toEqual({
      'resource.customizations.health.fortisync.io_FortiGateEndpointMapping': lua,
      'resource.customizations.health.fortisync.io_FortiGateDevice': lua,
      'resource.customizations.health.fortisync.io_FortiManagerTarget': lua,
    });
  });
});
