import type { VerdictState } from '../../inspect/why-not.js';
import type { IpTrace } from './trace-ip.js';
import { paint, table, type Io } from './output.js';
import type { PodTrace, TraceDevice, TracePolicies } from './trace.js';

const STATE_STYLE: Record<VerdictState, 'green' | 'yellow' | 'red' | 'dim'> = {
  member: 'green',
  pending: 'yellow',
  held: 'yellow',
  drift: 'red',
  excluded: 'dim',
  unknown: 'red',
};

function policiesText(io: Io, sets: readonly TracePolicies[]): string {
  const rows = sets.flatMap((s) =>
    s.policies.map((p) => [
      s.device,
      String(p.policyid),
      p.name || '-',
      paint(io, p.action === 'accept' ? 'green' : 'red', p.action) +
        (p.status === 'disable' ? ' (disabled)' : ''),
      p.src.join(',') || '-',
      p.dst.join(',') || '-',
      p.via.join(','),
    ]),
  );
  if (rows.length === 0)
    return 'no firewall policy names these groups or addresses (directly or through nested groups)\n';
  return table(['device', 'id', 'name', 'action', 'source', 'destination', 'via'], rows);
}

function devicesText(io: Io, devices: readonly TraceDevice[]): string {
  return devices
    .map((d) => {
      if (!d.read)
        return `${d.name}: ${paint(io, 'red', 'not read')}: ${d.error ?? ''}${d.next ? `\n  next: ${d.next}` : ''}\n`;
      const n = d.pendingOperations ?? 0;
      return n === 0
        ? `${d.name}: read live; ${paint(io, 'green', 'in sync')} (the operator's plan is empty)\n`
        : `${d.name}: read live; ${paint(io, 'yellow', `${n} pending operation(s)`)} (\`kubectl fortisync plan\` lists them)\n`;
    })
    .join('');
}

export function renderPodTrace(io: Io, t: PodTrace): string {
  const p = t.pod;
  let s = `pod    ${p.namespace}/${p.name} (${p.terminating ? 'Terminating' : p.phase})`;
  s += p.node ? ` on node ${p.node}` : ', not scheduled';
  s += p.ips.length ? `, IPs ${p.ips.join(', ')}\n` : ', no IP yet\n';
  if (t.node)
    s += `node   ${t.node.name}: ${t.node.addresses.map((a) => `${a.type} ${a.address}`).join(', ') || 'no addresses'}\n`;
  if (t.rows.length === 0) {
    s += '\nno FortiGateEndpointMapping selects this pod or its namespace\n';
    return s;
  }
  s +=
    '\n' +
    table(
      ['mapping', 'device', 'family', 'mode', 'address', 'group', 'state', 'reason'],
      t.rows.map((r) => [
        r.mapping,
        r.device,
        r.family,
        r.mode,
        r.address ? `${r.address} (${r.ip ?? ''})` : '-',
        r.group,
        paint(io, STATE_STYLE[r.verdict.state], r.verdict.state),
        r.verdict.reason,
      ]),
    );
  s += '\n' + paint(io, 'bold', 'WHY') + '\n';
  for (const r of t.rows) {
    s += `${r.mapping} → ${r.device} ${r.family}: ${r.verdict.message}\n  (${r.selection})\n`;
  }
  s += '\n' + paint(io, 'bold', 'GROUPS') + ' (read live)\n' + groupsText(t.groups);
  s += '\n' + paint(io, 'bold', 'POLICIES') + '\n' + policiesText(io, t.policies);
  s += '\n' + paint(io, 'bold', 'DEVICES') + '\n' + devicesText(io, t.devices);
  return s;
}

function groupsText(groups: PodTrace['groups']): string {
  if (groups.length === 0) return 'none of these addresses exists on a device read\n';
  return table(
    ['device', 'family', 'address', 'in groups'],
    groups.map((g) => [
      g.device,
      g.family,
      g.address,
      [...g.direct, ...g.nested.map((n) => `${n} (nested)`)].join(', ') || '-',
    ]),
  );
}

export function renderIpTrace(io: Io, t: IpTrace): string {
  let s = `ip ${t.ip}: `;
  s += t.node ? `an address of node ${t.node}` : 'no pod or node of this cluster has it';
  if (t.pods.length) s += ` (host-network pods: ${t.pods.join(', ')})`;
  s += '\n\n';
  s +=
    t.objects.length === 0
      ? 'no address object of this cluster holds it on any device read\n'
      : table(
          ['device', 'family', 'address', 'groups', 'wanted'],
          t.objects.map((o) => [
            o.device,
            o.family,
            o.address,
            o.groups.join(',') || '-',
            o.wanted
              ? paint(io, 'green', 'yes')
              : paint(io, 'red', 'no: left behind (`kubectl fortisync orphans`)'),
          ]),
        );
  s += '\n' + paint(io, 'bold', 'POLICIES') + '\n' + policiesText(io, t.policies);
  s += '\n' + paint(io, 'bold', 'DEVICES') + '\n' + devicesText(io, t.devices);
  return s;
}
