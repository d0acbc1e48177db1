import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { V1Pod } from '@kubernetes/client-node';
import { desiredDeviceState, type MappingInput } from '../../../src/domain/desired.js';
import { fullBase, updateBase } from '../../../src/domain/desired-base.js';
import { groupKey, type DesiredDeviceState, type ObservedDeviceState } from '../../../src/domain/model.js';
import { plan, planScoped, scopedPlanApplies } from '../../../src/domain/plan.js';
import { groupComment } from '../../../src/domain/naming.js';
import { applyPlanOps } from '../../support/apply-plan.js';
import { device, mapping, namespace, node, pod, view } from './fixtures.js';

/**
 * Issue 19: a sync recomputes only the groups the changed mappings feed and plans only them and
 * their addresses. Whatever happens to pods and mappings, that must be exactly what the full
 * computation over every mapping gives.
 */

const NAMESPACES = ['shop', 'pay'];
const NODES = [node('w1', '192.0.2.1', '2001:db8::1'), node('w2', '192.0.2.2'), node('w3', '192.0.2.3')];
const GROUPS = ['G1', 'G2', 'G3'];

type Change =
  | { kind: 'pod'; ns: number; id: number; zone: number; node: number; running: boolean }
  | { kind: 'podGone'; ns: number; id: number }
  | {
      kind: 'mapping';
      ns: number;
      id: number;
      group: number;
      zone: number;
      mode: 'Node' | 'Pod';
      dual: boolean;
      suspend: boolean;
      deleting: boolean;
      orphan: boolean;
    }
  | { kind: 'mappingGone'; ns: number; id: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({
    kind: fc.constant('pod' as const),
    ns: fc.nat(1),
    id: fc.nat(5),
    zone: fc.nat(1),
    node: fc.nat(2),
    running: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('podGone' as const), ns: fc.nat(1), id: fc.nat(5) }),
  fc.record({
    kind: fc.constant('mapping' as const),
    ns: fc.nat(1),
    // Few mappings, changed often: live, then suspended, then gone is the sequence that matters.
    id: fc.nat(1),
    group: fc.nat(2),
    zone: fc.nat(1),
    mode: fc.constantFrom('Node' as const, 'Pod' as const),
    dual: fc.boolean(),
    suspend: fc.boolean(),
    deleting: fc.boolean(),
    orphan: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('mappingGone' as const), ns: fc.nat(1), id: fc.nat(1) }),
);

class World {
  pods = new Map<string, V1Pod>();
  mappings = new Map<string, MappingInput>();
  private created = 0;

  /** Applies a change; returns the mapping keys whose part may have changed (what the watches say). */
  apply(c: Change): string[] {
    const ns = NAMESPACES[c.ns] as string;
    if (c.kind === 'pod' || c.kind === 'podGone') {
      const key = `${ns}/p${c.id}`;
      const before = this.pods.get(key);
      if (c.kind === 'podGone') this.pods.delete(key);
      else {
        const ips = c.running ? [`10.0.${c.ns}.${c.id + 1}`, `fd00::${c.ns}:${c.id + 1}`] : [];
        const p = pod(
          ns,
          `p${c.id}`,
          `w${c.node + 1}`,
          { zone: `z${c.zone}` },
          ips,
          c.running ? 'Running' : 'Pending',
        );
        this.pods.set(key, p);
      }
      return [before, this.pods.get(key)].flatMap((p) => (p ? this.selecting(p) : []));
    }
    const key = `${ns}/m${c.id}`;
    if (c.kind === 'mappingGone') this.mappings.delete(key);
    else {
      const m = mapping(
        ns,
        `m${c.id}`,
        {
          addressGroup: GROUPS[c.group] as string,
          podSelector: { matchLabels: { zone: `z${c.zone}` } },
          addressType: c.mode,
          ipFamilies: c.dual ? ['IPv4', 'IPv6'] : ['IPv4'],
          suspend: c.suspend,
          deletionPolicy: c.orphan ? 'Orphan' : 'Delete',
        },
        c.deleting,
      );
      // Older mappings own their group (group ownership between namespaces).
      const createdAt =
        this.mappings.get(key)?.createdAt ?? `2026-01-01T00:00:${String(this.created++).padStart(2, '0')}Z`;
      this.mappings.set(key, { ...m, createdAt });
    }
    return [key];
  }

  private selecting(p: V1Pod): string[] {
    const zone = p.metadata?.labels?.zone;
    return [...this.mappings.values()]
      .filter((m) => m.namespace === p.metadata?.namespace && m.spec.podSelector?.matchLabels?.zone === zone)
      .map((m) => m.key);
  }

  full(): DesiredDeviceState {
    return desiredDeviceState(device, [...this.mappings.values()], this.view(), undefined, this.ctx());
  }

  view() {
    return view(
      [...this.pods.values()],
      NODES,
      NAMESPACES.map((n) => namespace(n)),
    );
  }

  ctx() {
    return { remembered: () => undefined };
  }
}

const shape = (d: DesiredDeviceState): unknown => ({
  groups: [...d.groups]
    .map(([k, g]) => [k, [...g.members].sort(), g.frozen, g.orphanOnRelease, [...g.mappings].sort()])
    .sort(),
  addresses: [...d.addresses].sort(([a], [b]) => (a < b ? -1 : 1)),
  live: [...(d.live?.keys() ?? [])].sort(),
  frozen: [...(d.frozenMappings?.keys() ?? [])].sort(),
  refused: [...(d.refused ?? [])].sort(),
  releasing: [...d.releasing].sort(),
});

const opts = { clusterName: 'prod' };

describe('incremental desired state and scoped plans (issue 19)', () => {
  it('equal the full computation after any sequence of pod and mapping changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(change, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
        (batches) => {
          const w = new World();
          const observed: ObservedDeviceState = { addresses: new Map(), groups: new Map() };
          // A group of another cluster's, so unfed and foreign paths are exercised too.
          observed.groups.set(groupKey('IPv4', 'G3'), {
            name: 'G3',
            family: 'IPv4',
            members: ['none'],
            comment: groupComment('prod', 'G3'),
          });
          let base = fullBase(w.full(), []);
          applyPlanOps(observed, plan(base.state, observed, opts).ops);
          for (const batch of batches) {
            const changed = new Set(batch.flatMap((c) => w.apply(c)));
            const current = (key: string) => w.mappings.get(key);
            const scope = updateBase(base, changed, current, { device, view: w.view(), ctx: w.ctx() });
            const full = w.full();
            expect(shape(base.state)).toEqual(shape(full));
            const want = plan(full, observed, opts);
            if (scopedPlanApplies(base.state, opts)) {
              expect(planScoped(base.state, observed, opts, scope).ops).toEqual(want.ops);
            }
            applyPlanOps(observed, want.ops);
            expect(plan(full, observed, opts).ops).toEqual([]);
            // Now and then the sync starts afresh (drift check), as the device's does.
            if (batch.length === 4) base = fullBase(full, [...w.mappings.values()]);
          }
        },
      ),
      { numRuns: 1000, seed: 19 },
    );
  }, 60_000);
});
