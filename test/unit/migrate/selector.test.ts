import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { LabelSelector } from '../../../src/api/v1alpha1/common.js';
import { matchesSelector } from '../../../src/domain/selectors.js';
import { evaluateCalicoSelector } from '../../../src/migrate/calico-evaluate.js';
import {
  formatCalicoSelector,
  parseCalicoSelector,
  SelectorSyntaxError,
  type CalicoSelector,
} from '../../../src/migrate/calico-selector.js';
import { translatePolicy } from '../../../src/migrate/translate-policy.js';
import { translateSelector } from '../../../src/migrate/translate-selector.js';

describe('Calico selector parser', () => {
  it.each([
    ['', { kind: 'all' }],
    ['all()', { kind: 'all' }],
    ["app == 'web'", { kind: 'eq', key: 'app', value: 'web' }],
    ['app != "web"', { kind: 'ne', key: 'app', value: 'web' }],
    ["env in {'b', 'a'}", { kind: 'in', key: 'env', values: ['a', 'b'] }],
    ['env not  in {}', { kind: 'notIn', key: 'env', values: [] }],
    ['has( app )', { kind: 'has', key: 'app' }],
    ['!!has(app)', { kind: 'has', key: 'app' }],
    ["a contains 'x'", { kind: 'contains', key: 'a', value: 'x' }],
    ["a starts with 'x'", { kind: 'startsWith', key: 'a', value: 'x' }],
    ["a ends with 'x'", { kind: 'endsWith', key: 'a', value: 'x' }],
    [
      "a == 'x' || b == 'y' && !has(c)",
      {
        kind: 'or',
        operands: [
          { kind: 'eq', key: 'a', value: 'x' },
          {
            kind: 'and',
            operands: [
              { kind: 'eq', key: 'b', value: 'y' },
              { kind: 'not', operand: { kind: 'has', key: 'c' } },
            ],
          },
        ],
      },
    ],
  ])('%s', (text, ast) => {
    const parsed = parseCalicoSelector(text);
    expect(parsed).toEqual(ast);
    expect(parseCalicoSelector(formatCalicoSelector(parsed))).toEqual(parsed);
  });

  it.each([
    "app = 'web'",
    'app == web',
    "app == 'web",
    'has()',
    "(a == 'x'",
    "a == 'x' b",
    'a in (x)',
    '&& a',
  ])('refuses %s', (text) => expect(() => parseCalicoSelector(text)).toThrow(SelectorSyntaxError));
});

const sel = (text: string) => translateSelector(parseCalicoSelector(text), 'endpoint');

describe('Calico → Kubernetes selector translation (table)', () => {
  it.each<[string, LabelSelector, LabelSelector]>([
    ['', {}, {}],
    ["app == 'web'", { matchLabels: { app: 'web' } }, {}],
    ["env == 'prod' && role == 'microservice1'", { matchLabels: { env: 'prod', role: 'microservice1' } }, {}],
    ["app != 'web'", { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, {}],
    ["app in {'b','a'}", { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] }, {}],
    ["app not in {'a'}", { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['a'] }] }, {}],
    [
      'has(app) && !has(canary)',
      {
        matchExpressions: [
          { key: 'app', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      {},
    ],
    ["!(app == 'web')", { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, {}],
    ["!(app != 'web')", { matchLabels: { app: 'web' } }, {}],
    [
      "!(a == 'x' || b == 'y')",
      {
        matchExpressions: [
          { key: 'a', operator: 'NotIn', values: ['x'] },
          { key: 'b', operator: 'NotIn', values: ['y'] },
        ],
      },
      {},
    ],
    [
      "a == 'x' && a == 'y'",
      {
        matchExpressions: [
          { key: 'a', operator: 'In', values: ['x'] },
          { key: 'a', operator: 'In', values: ['y'] },
        ],
      },
      {},
    ],
    ['app not in {}', {}, {}],
    [
      "app == 'web' && projectcalico.org/namespace == 'shop'",
      { matchLabels: { app: 'web' } },
      { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
    ],
    ["pcns.team == 'pay' && all()", {}, { matchLabels: { team: 'pay' } }],
    [
      'has(pcns.projectcalico.org/name)',
      {},
      { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'Exists' }] },
    ],
  ])('%s', (text, podSelector, namespaceSelector) => {
    const result = sel(text);
    expect(result).toMatchObject({ ok: true, podSelector, namespaceSelector });
  });

  it.each<[string, string[]]>([
    ["a == 'x' || b == 'y'", ['||']],
    ["!(a == 'x' && b == 'y')", ['! of a compound']],
    ['global()', ['global()']],
    ['!all()', ['!all()']],
    ["a contains 'x'", ['contains']],
    ["a starts with 'x' && b ends with 'y'", ['starts with', 'ends with']],
    ["projectcalico.org/serviceaccount == 'sa'", ['projectcalico.org/serviceaccount']],
    ["pcsa.role == 'x'", ['pcsa.role']],
    ["projectcalico.org/orchestrator == 'k8s'", ['projectcalico.org/orchestrator']],
    ['a in {}', ['empty set']],
    ["a == 'has space'", ['label value']],
    ["-bad == 'x'", ['label key']],
    ["(a == 'x' || b == 'y') && c contains 'z' && global()", ['||', 'contains', 'global()']],
  ])('refuses %s, naming every construct', (text, constructs) => {
    const result = sel(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refusals.map((r) => r.construct)).toEqual(constructs);
    for (const r of result.refusals) expect(r.reason.length).toBeGreaterThan(10);
  });

  it('namespaceSelector context reads namespace labels, and projectcalico.org/name as the name', () => {
    const r = translateSelector(
      parseCalicoSelector("team == 'pay' && projectcalico.org/name != 'x'"),
      'namespace',
    );
    expect(r).toMatchObject({
      ok: true,
      podSelector: {},
      namespaceSelector: {
        matchLabels: { team: 'pay' },
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }],
      },
    });
  });
});

/**
 * The property: whenever a Calico selector translates, the Kubernetes selectors (pod labels and
 * namespace labels, as the operator evaluates them) pick exactly the pods Calico's semantics pick
 * from the endpoint labels Calico builds for that pod.
 */
const POD_KEYS = ['app', 'env', 'tier'];
const NS_KEYS = ['team', 'env'];
const VALUES = ['a', 'b', 'c'];
const NAMESPACES = ['ns1', 'ns2'];

const value = fc.constantFrom(...VALUES);
const endpointKey = fc.constantFrom(...POD_KEYS, ...NS_KEYS.map((k) => `pcns.${k}`));
const namespaceComparison: fc.Arbitrary<CalicoSelector> = fc.oneof(
  fc
    .constantFrom(...NAMESPACES)
    .map((v): CalicoSelector => ({ kind: 'eq', key: 'projectcalico.org/namespace', value: v })),
  fc
    .constantFrom(...NAMESPACES)
    .map((v): CalicoSelector => ({ kind: 'ne', key: 'projectcalico.org/namespace', value: v })),
);
const leaf: fc.Arbitrary<CalicoSelector> = fc.oneof(
  fc.record({ kind: fc.constantFrom('eq' as const, 'ne' as const), key: endpointKey, value }),
  fc.record({
    kind: fc.constantFrom('in' as const, 'notIn' as const),
    key: endpointKey,
    values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }).map((v) => [...v].sort()),
  }),
  fc.record({ kind: fc.constant('has' as const), key: endpointKey }),
  fc.constant<CalicoSelector>({ kind: 'all' }),
  namespaceComparison,
);
const negatedLeaf = fc.oneof(
  leaf,
  leaf.filter((l) => l.kind !== 'all').map((l): CalicoSelector => ({ kind: 'not', operand: l })),
);
const conjunction = fc
  .array(negatedLeaf, { minLength: 1, maxLength: 4 })
  .map((operands): CalicoSelector => (operands.length === 1 ? operands[0]! : { kind: 'and', operands }));
const anySelector: fc.Arbitrary<CalicoSelector> = fc.letrec<{ node: CalicoSelector }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('node').map((n): CalicoSelector => ({ kind: 'not', operand: n })),
    fc
      .tuple(
        fc.constantFrom('and' as const, 'or' as const),
        fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
      )
      .map(([kind, operands]): CalicoSelector => ({ kind, operands })),
  ),
})).node;

const labelSet = (keys: string[]) =>
  fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: keys.length }) as fc.Arbitrary<
    Record<string, string>
  >;
const world = fc.record({
  pod: labelSet(POD_KEYS),
  ns: labelSet(NS_KEYS),
  name: fc.constantFrom(...NAMESPACES),
});

type World = { pod: Record<string, string>; ns: Record<string, string>; name: string };

/** The labels Calico evaluates a GlobalNetworkPolicy selector against for a pod. */
function calicoEndpointLabels(w: World): Record<string, string> {
  const namespaceLabels = { ...w.ns, 'kubernetes.io/metadata.name': w.name };
  return {
    ...w.pod,
    ...Object.fromEntries(Object.entries(namespaceLabels).map(([k, v]) => [`pcns.${k}`, v])),
    'pcns.projectcalico.org/name': w.name,
    'projectcalico.org/namespace': w.name,
    'projectcalico.org/orchestrator': 'k8s',
  };
}

function kubernetesSelects(
  t: { podSelector: LabelSelector; namespaceSelector: LabelSelector },
  w: World,
): boolean {
  return (
    matchesSelector(t.namespaceSelector, { ...w.ns, 'kubernetes.io/metadata.name': w.name }) &&
    matchesSelector(t.podSelector, w.pod)
  );
}

describe('Calico → Kubernetes selector translation (property, against a reference evaluator)', () => {
  it('a conjunction of (negated) comparisons always translates, and selects the same pods', () => {
    fc.assert(
      fc.property(conjunction, fc.array(world, { minLength: 8, maxLength: 8 }), (node, worlds) => {
        const t = translateSelector(node, 'endpoint');
        expect(t.ok).toBe(true);
        if (!t.ok) return;
        for (const w of worlds)
          expect(kubernetesSelects(t, w)).toBe(evaluateCalicoSelector(node, calicoEndpointLabels(w)));
      }),
      { numRuns: 2000, seed: 17 },
    );
  });

  it('any selector either translates exactly or is refused with reasons', () => {
    let translated = 0;
    let refused = 0;
    fc.assert(
      fc.property(anySelector, fc.array(world, { minLength: 8, maxLength: 8 }), (node, worlds) => {
        const t = translateSelector(node, 'endpoint');
        if (!t.ok) {
          refused++;
          expect(t.refusals.length).toBeGreaterThan(0);
          return;
        }
        translated++;
        for (const w of worlds)
          expect(kubernetesSelects(t, w)).toBe(evaluateCalicoSelector(node, calicoEndpointLabels(w)));
      }),
      { numRuns: 3000, seed: 42 },
    );
    // Both branches ran often enough for the property to mean something.
    expect(translated).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(300);
  });

  it('the parser reads back what the printer writes', () => {
    fc.assert(
      fc.property(anySelector, (node) => {
        const reparsed = parseCalicoSelector(formatCalicoSelector(node));
        for (const w of [{ pod: { app: 'a' }, ns: {}, name: 'ns1' }]) {
          expect(evaluateCalicoSelector(reparsed, calicoEndpointLabels(w))).toBe(
            evaluateCalicoSelector(node, calicoEndpointLabels(w)),
          );
        }
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it("a policy's selector AND its namespaceSelector select what Calico selects", () => {
    const namespaceLeaf: fc.Arbitrary<CalicoSelector> = fc.oneof(
      fc.record({
        kind: fc.constantFrom('eq' as const, 'ne' as const),
        key: fc.constantFrom(...NS_KEYS),
        value,
      }),
      fc.record({ kind: fc.constant('has' as const), key: fc.constantFrom(...NS_KEYS) }),
      fc
        .constantFrom(...NAMESPACES)
        .map((v): CalicoSelector => ({ kind: 'ne', key: 'projectcalico.org/name', value: v })),
    );
    const namespaceSelector = fc
      .array(
        fc.oneof(
          namespaceLeaf,
          namespaceLeaf.map((l): CalicoSelector => ({ kind: 'not', operand: l })),
        ),
        {
          minLength: 1,
          maxLength: 3,
        },
      )
      .map((operands): CalicoSelector => (operands.length === 1 ? operands[0]! : { kind: 'and', operands }));
    fc.assert(
      fc.property(
        conjunction,
        namespaceSelector,
        fc.array(world, { minLength: 8, maxLength: 8 }),
        (sel, ns, worlds) => {
          const t = translatePolicy({
            name: 'fortigate.p',
            tier: 'fortigate',
            labels: {},
            selector: formatCalicoSelector(sel),
            namespaceSelector: formatCalicoSelector(ns),
          });
          expect(t.ok).toBe(true);
          if (!t.ok) return;
          for (const w of worlds) {
            const calico =
              evaluateCalicoSelector(sel, calicoEndpointLabels(w)) &&
              evaluateCalicoSelector(ns, { ...w.ns, 'projectcalico.org/name': w.name });
            expect(kubernetesSelects(t, w)).toBe(calico);
          }
        },
      ),
      { numRuns: 1000, seed: 99 },
    );
  });
});
