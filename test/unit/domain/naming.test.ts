import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkDeviceSpec } from '../../../src/api/v1alpha1/validation.js';
import {
  fitName,
  groupComment,
  isOwnedBy,
  isOwnedByAnyCluster,
  nodeAddressComment,
  nodeAddressName,
  podAddressName,
} from '../../../src/domain/naming.js';

const scope = { prefix: 'k8s', clusterName: 'prod' };

describe('naming', () => {
  it('names node and pod addresses readably, per family', () => {
    expect(nodeAddressName(scope, 'worker-1', 'IPv4')).toBe('k8s-prod-node-worker-1');
    expect(nodeAddressName(scope, 'worker-1', 'IPv6')).toBe('k8s-prod-node6-worker-1');
    expect(podAddressName(scope, 'storefront', 'frontend-abc', 'IPv4')).toBe(
      'k8s-prod-pod-storefront.frontend-abc',
    );
  });

  it('keeps namespace/pod splits apart (a-b/c differs from a/b-c)', () => {
    expect(podAddressName(scope, 'a-b', 'c', 'IPv4')).not.toBe(podAddressName(scope, 'a', 'b-c', 'IPv4'));
  });

  it('shortens long names to 79 characters with a stable hash, never colliding', () => {
    const long1 = nodeAddressName(scope, 'n'.repeat(100) + '1', 'IPv4');
    const long2 = nodeAddressName(scope, 'n'.repeat(100) + '2', 'IPv4');
    expect(long1.length).toBe(79);
    expect(long2.length).toBe(79);
    expect(long1).not.toBe(long2);
    expect(nodeAddressName(scope, 'n'.repeat(100) + '1', 'IPv4')).toBe(long1);
    expect(long1.startsWith('k8s-prod-node-nnn')).toBe(true);
    expect(fitName('short')).toBe('short');
  });

  it('marks ownership per cluster; prod does not own prod2 objects', () => {
    const comment = nodeAddressComment('prod2', 'k8s-prod2-node-w1', 'w1');
    expect(isOwnedBy(comment, 'prod2', 'k8s-prod2-node-w1')).toBe(true);
    expect(isOwnedBy(comment, 'prod', 'k8s-prod2-node-w1')).toBe(false);
    expect(isOwnedBy(undefined, 'prod', 'x')).toBe(false);
    expect(nodeAddressComment('prod', 'k8s-prod-node-x', 'x'.repeat(400)).length).toBeLessThanOrEqual(255);
  });

  const node = 'k8s-prod-node-w1';
  const pod = 'k8s-prod-pod-shop.web-1';
  const longNode = nodeAddressName(scope, 'n'.repeat(100), 'IPv4');
  it.each<[string, string | undefined, string, boolean]>([
    ['what fortisync writes now', nodeAddressComment('prod', node, 'w1'), node, true],
    ['a group fortisync created', groupComment('prod', 'K8S-DMZ'), 'K8S-DMZ', true],
    [
      'a GUI clone of an address (same comment, other name)',
      nodeAddressComment('prod', node, 'w1'),
      'copy-of-w1',
      false,
    ],
    ['a clone of a group', groupComment('prod', 'K8S-DMZ'), 'K8S-DMZ-copy', false],
    ['the marker not at the start', `note: ${nodeAddressComment('prod', node, 'w1')}`, node, false],
    ['the marker alone', '[fortisync:prod]', node, false],
    ['another cluster whose name starts alike', nodeAddressComment('prod2', node, 'w1'), node, false],
    ['legacy node comment, its own address', '[fortisync:prod] node w1 of cluster prod', node, true],
    [
      'legacy node comment, IPv6 address',
      '[fortisync:prod] node w1 of cluster prod',
      'k8s-prod-node6-w1',
      true,
    ],
    [
      'legacy node comment, another prefix',
      '[fortisync:prod] node w1 of cluster prod',
      'fw_a-prod-node-w1',
      true,
    ],
    [
      'legacy node comment cloned onto another name',
      '[fortisync:prod] node w1 of cluster prod',
      'w1-copy',
      false,
    ],
    [
      'legacy node comment on a similar node',
      '[fortisync:prod] node w1 of cluster prod',
      'k8s-prod-node-w11',
      false,
    ],
    [
      'legacy node comment, fitted long name',
      `[fortisync:prod] node ${'n'.repeat(100)} of cluster prod`,
      longNode,
      true,
    ],
    ['legacy pod comment', '[fortisync:prod] pod shop/web-1 on node w1 of cluster prod', pod, true],
    [
      'legacy pod comment cloned',
      '[fortisync:prod] pod shop/web-1 on node w1 of cluster prod',
      'web-copy',
      false,
    ],
    [
      'legacy group comment (cannot name its group)',
      '[fortisync:prod] group created by fortisync for cluster prod; members follow the cluster',
      'ANY',
      true,
    ],
    ['no comment', undefined, node, false],
  ])('isOwnedBy: %s', (_what, comment, name, owned) => {
    expect(isOwnedBy(comment, 'prod', name)).toBe(owned);
  });

  it("tells any cluster's objects apart only by a marker at the start", () => {
    expect(isOwnedByAnyCluster(groupComment('east', 'G'))).toBe(true);
    expect(isOwnedByAnyCluster('copied from [fortisync:east] G: …')).toBe(false);
  });
});

describe('address names are injective: nobody can take another cluster, namespace or pod’s name', () => {
  const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
  const tokenish = fc.constantFrom('node', 'node6', 'pod', 'pod6', 'eu', 'a', 'w1', 'prod');
  // Names built from the tokens the format uses, so collisions are actually tried.
  const tricky = fc.array(fc.oneof(tokenish, label), { minLength: 1, maxLength: 4 }).map((t) => t.join('-'));
  const validCluster = tricky.filter(
    (c) =>
      c.length <= 24 &&
      checkDeviceSpec({
        url: 'https://fw',
        clusterName: c,
        credentialsSecretRef: { name: 's', namespace: 'n' },
      }).ok,
  );
  type Obj = { cluster: string; kind: 'node' | 'pod'; family: 'IPv4' | 'IPv6'; ns: string; name: string };
  const obj = fc.record<Obj>({
    cluster: validCluster,
    kind: fc.constantFrom('node', 'pod'),
    family: fc.constantFrom('IPv4', 'IPv6'),
    ns: tricky.filter((n) => n.length <= 63),
    name: fc.oneof(
      tricky,
      tricky.map((n) => `${n}.x`),
    ),
  });
  const nameOf = (o: Obj): string => {
    const s = { prefix: 'k8s', clusterName: o.cluster };
    return o.kind === 'node'
      ? nodeAddressName(s, o.name, o.family)
      : podAddressName(s, o.ns, o.name, o.family);
  };
  const identity = (o: Obj): string =>
    JSON.stringify([o.cluster, o.kind, o.family, o.kind === 'pod' ? o.ns : '', o.name]);

  it('the example of issue 14 is refused at apply', () => {
    expect(
      checkDeviceSpec({
        url: 'https://fw',
        clusterName: 'prod-node-eu',
        credentialsSecretRef: { name: 's', namespace: 'n' },
      }).ok,
    ).toBe(false);
  });

  /** Reads cluster, kind, family, namespace and name back from an address name (the format's inverse). */
  const parse = (name: string): string => {
    const tokens = name.slice('k8s-'.length).split('-');
    const i = tokens.findIndex((t) => /^(node|pod)6?$/.test(t));
    const cluster = tokens.slice(0, i).join('-');
    const tag = tokens[i] as string;
    const rest = tokens.slice(i + 1).join('-');
    const kind = tag.startsWith('node') ? 'node' : 'pod';
    const dot = rest.indexOf('.');
    return JSON.stringify([
      cluster,
      kind,
      tag.endsWith('6') ? 'IPv6' : 'IPv4',
      kind === 'pod' ? rest.slice(0, dot) : '',
      kind === 'pod' ? rest.slice(dot + 1) : rest,
    ]);
  };

  it('every name reads back as the one object it stands for (so two objects never share a name)', () => {
    fc.assert(
      fc.property(obj, (o) => {
        // Longer names end in a hash of the whole name (fitName), tested above.
        fc.pre(nameOf(o).length < 79);
        return parse(nameOf(o)) === identity(o);
      }),
      { numRuns: 5000 },
    );
  });
});
