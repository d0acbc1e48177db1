import type {
  AdoptedGroupStatus,
  DeviceAdoption,
  DeviceAdoptionStatus,
} from '../../api/v1alpha1/fortigate-device.js';
import type { ObjectMeta } from '../../api/v1alpha1/common.js';
import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import {
  adoptionPreview,
  retryClears,
  RETRY_ADOPTION_ANNOTATION,
  TIGERA_PLACEHOLDER,
  type AdoptionNextStep,
} from '../../domain/adoption.js';
import {
  addressKey,
  groupKey,
  type DesiredDeviceState,
  type ObservedDeviceState,
} from '../../domain/model.js';
import { isOwnedBy } from '../../domain/naming.js';
import { age, paint, table, type Io } from './output.js';

// ADR 0004 in `kubectl fortisync plan` and `status`: the adoption step each listed group is at.
// Works for a FortiGateDevice or a FortiManagerTarget (the same spec field and status).

/** A device or target with adoption, as the plugin read it. */
export interface AdoptionOwner {
  kind: string;
  metadata: ObjectMeta;
  spec: { clusterName: string; adoption?: DeviceAdoption };
  status?: { adoption?: DeviceAdoptionStatus };
}

export interface AdoptionPlanRow {
  group: string;
  family: IPFamily;
  step: AdoptionNextStep;
  detail: string;
  add?: string[];
  write?: { members: string[]; comment: string; removed: string[] };
}

const FAMILIES: readonly IPFamily[] = ['IPv4', 'IPv6'];

/** The stop the owner's status holds for a group, unless the retry annotation has cleared it. */
function stopOf(owner: AdoptionOwner, name: string, family: IPFamily): string | undefined {
  const g = owner.status?.adoption?.groups?.find(
    (x) => x.name === name && x.family === family && x.state === 'Conflict',
  );
  if (!g) return undefined;
  const memory = {
    state: 'Conflict' as const,
    since: 0,
    seenOurs: [],
    rewrites: [],
    retryToken: g.retryToken ?? '',
  };
  if (retryClears(memory, owner.metadata.annotations?.[RETRY_ADOPTION_ANNOTATION] ?? '')) return undefined;
  return `${g.message ?? 'adoption stopped (AdoptionConflict)'}`;
}

/**
 * Per listed group and family: the step it is at, from the live read (`observed`, and the Tigera
 * address keys `family/name`) and what the mappings want (`desired`). Pure.
 */
export function adoptionPlanRows(
  owner: AdoptionOwner,
  desired: DesiredDeviceState,
  observed: ObservedDeviceState,
  tigeraAddresses: ReadonlySet<string>,
): AdoptionPlanRow[] {
  const rows: AdoptionPlanRow[] = [];
  const { clusterName } = owner.spec;
  for (const name of [...(owner.spec.adoption?.groups ?? [])].sort()) {
    const fed = FAMILIES.filter((f) => {
      const g = desired.groups.get(groupKey(f, name));
      return g && !g.frozen && !g.orphanOnRelease;
    });
    if (fed.length === 0) {
      rows.push({
        group: name,
        family: 'IPv4',
        step: 'NotAdopted',
        detail: `no live mapping feeds it on ${owner.kind} ${owner.metadata.name}: nothing happens to it`,
      });
      continue;
    }
    for (const family of fed) {
      const group = observed.groups.get(groupKey(family, name));
      const stopped = stopOf(owner, name, family);
      const preview = adoptionPreview({
        group,
        wanted: desired.groups.get(groupKey(family, name))?.members ?? new Set(),
        isOurs: (m) => observed.addresses.has(addressKey(family, m)),
        isTigera: (m) => m === TIGERA_PLACEHOLDER || tigeraAddresses.has(addressKey(family, m)),
        clusterName,
        ownedByUs: group !== undefined && isOwnedBy(group.comment, clusterName, name),
        ...(stopped ? { stopped } : {}),
      });
      rows.push({ group: name, family, ...preview });
    }
  }
  return rows;
}

const STEP_TEXT: Record<AdoptionNextStep, string> = {
  AddFortisyncMembers: 'add fortisync members',
  DropTigeraMembers: 'drop Tigera members',
  Done: 'done',
  StoppedByConflict: 'stopped by conflict',
  NotAdopted: 'not adopted',
};

function writeText(r: AdoptionPlanRow): string {
  if (r.add) return r.add.map((m) => `+${m}`).join(' ');
  if (r.write)
    return `${r.write.removed.map((m) => `-${m}`).join(' ')}; members ${r.write.members.join(',')}; comment "${r.write.comment}"`;
  return r.detail;
}

export function renderAdoptionPlan(io: Io, rows: readonly AdoptionPlanRow[] | undefined): string {
  if (!rows?.length) return '';
  return (
    `${paint(io, 'bold', 'adoption')} (Calico Enterprise groups, next step of each):\n` +
    table(
      ['group', 'family', 'next step', 'would write'],
      rows.map((r) => [
        r.group,
        r.family,
        r.step === 'StoppedByConflict' ? paint(io, 'red', STEP_TEXT[r.step]) : STEP_TEXT[r.step],
        writeText(r),
      ]),
    )
  );
}

export interface AdoptionStatusRow extends AdoptedGroupStatus {
  /** `FortiGateDevice/fw1` or `FortiManagerTarget/fmg`. */
  owner: string;
}

export interface AdoptionStatusReport {
  groups: AdoptionStatusRow[];
  unadopted: { owner: string; groups: string[]; addresses: number }[];
}

/** `status.adoption` of every device and target that has one; undefined when none does. */
export function adoptionStatusReport(owners: readonly AdoptionOwner[]): AdoptionStatusReport | undefined {
  const withAdoption = owners.filter((o) => o.status?.adoption);
  if (withAdoption.length === 0) return undefined;
  const ref = (o: AdoptionOwner) => `${o.kind}/${o.metadata.name}`;
  return {
    groups: withAdoption.flatMap((o) =>
      (o.status?.adoption?.groups ?? []).map((g) => ({ owner: ref(o), ...g })),
    ),
    unadopted: withAdoption
      .filter((o) => o.status?.adoption?.unadopted)
      .map((o) => ({
        owner: ref(o),
        groups: o.status?.adoption?.unadopted?.groups ?? [],
        addresses: o.status?.adoption?.unadopted?.addresses ?? 0,
      })),
  };
}

export function renderAdoptionStatus(io: Io, r: AdoptionStatusReport | undefined, now: number): string {
  if (!r) return '';
  let out = '\n' + paint(io, 'bold', 'ADOPTION (Calico Enterprise)') + '\n';
  out += r.groups.length
    ? table(
        ['owner', 'group', 'family', 'state', 'since', 'ours/tigera/other', 'message'],
        r.groups.map((g) => [
          g.owner,
          g.name,
          g.family,
          g.state === 'Conflict' ? paint(io, 'red', g.state) : g.state,
          age(g.since, now),
          g.members ? `${g.members.ours}/${g.members.tigera}/${g.members.foreign}` : '-',
          g.message ?? '',
        ]),
      )
    : 'no adopted group yet\n';
  for (const u of r.unadopted)
    if (u.groups.length || u.addresses)
      out += `${u.owner}: left alone (no mapping adopts them): groups ${u.groups.join(', ') || '-'}; ${u.addresses} Tigera address(es) in no adopted group\n`;
  return out;
}
