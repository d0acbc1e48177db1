import { PLACEHOLDER, type ObservedGroup } from './model.js';
import { ownedCommentHead } from './naming.js';

// Adoption of the address groups Calico Enterprise's firewall controller left on a FortiGate
// (docs/decisions/0004-adopt-calico-enterprise-groups.md). Pure: the device sync reads the group
// afresh, asks `adoptionStep` what to do, and does it.

/** The comment markers Tigera's controller writes (its code and its docs differ; it matches by substring). */
export const TIGERA_MARKERS: readonly string[] = [
  'Managed by Calico Enterprise',
  'Managed by Tigera Calico Enterprise',
];

/** The placeholder address Tigera's controller puts in a group that would otherwise be empty. */
export const TIGERA_PLACEHOLDER = 'no-members';

/** The substring FortiOS filters on to list every object Tigera's controller made. */
export const TIGERA_FILTER_TEXT = 'Calico Enterprise';

/** Two rewrites behind fortisync's back within this window stop adoption of the group. */
export const FIGHT_WINDOW_MS = 10 * 60_000;
export const REWRITES_TO_STOP = 2;
/** How soon a group still being adopted is read again (a rewrite shows within one Tigera poll). */
export const ADOPTION_RECHECK_MS = 2000;

/** The device annotation whose new value clears a stop (AdoptionConflict). */
export const RETRY_ADOPTION_ANNOTATION = 'fortisync.io/retry-adoption';

export function isTigeraComment(comment: string | undefined): boolean {
  return TIGERA_MARKERS.some((m) => (comment ?? '').includes(m));
}

/** The comment an adopted group carries: fortisync's exact ownership head, then where it came from. */
export function adoptedGroupComment(clusterName: string, groupName: string): string {
  return `${ownedCommentHead(clusterName, groupName)} adopted from Calico Enterprise; members follow the cluster`.slice(
    0,
    255,
  );
}

export type AdoptionState = 'Adding' | 'Settling' | 'Adopted' | 'Conflict' | 'NotCalicoEnterprise';

/** What fortisync remembers of one adopted group between syncs. */
export interface AdoptionMemory {
  state: AdoptionState;
  /** When the group entered this state (ms). */
  since: number;
  /** When every member fortisync wants was first seen in the group (the settle clock). */
  completeSince?: number;
  /** fortisync's members the last fresh read showed (a rewrite removes them behind our back). */
  seenOurs: readonly string[];
  /** When rewrites behind fortisync's back were seen (ms), the newest last. */
  rewrites: readonly number[];
  message?: string;
  /** Conflict: the retry annotation's value when adoption stopped; a different value clears the stop. */
  retryToken?: string;
}

export interface AdoptionInput {
  /** The group as just read from the device; undefined when it is gone. */
  group: ObservedGroup | undefined;
  /** The members fortisync wants in the group (its own address names). */
  wanted: ReadonlySet<string>;
  /** The member is one of fortisync's addresses (this cluster's marker). */
  isOurs: (member: string) => boolean;
  /** The member is Tigera's: an address with Tigera's comment, or its `no-members` placeholder. */
  isTigera: (member: string) => boolean;
  /** The group's comment carries this cluster's exact ownership marker. */
  ownedByUs: boolean;
  clusterName: string;
  device: string;
  memory: AdoptionMemory | undefined;
  /** The retry annotation's current value ('' when absent). */
  retryToken: string;
  now: number;
  settleMs: number;
  /**
   * Why the drain must wait although the members have settled (FortiManager: the install carrying
   * fortisync's members to the FortiGates has not finished since they were complete); none: drain.
   */
  drainHold?: (completeSince: number) => string | undefined;
}

export interface AdoptionEvent {
  type: 'Normal' | 'Warning';
  reason:
    | 'AdoptionStarted'
    | 'GroupAdopted'
    | 'AdoptionRewritten'
    | 'AdoptionConflict'
    | 'CalicoEnterpriseObjectsDeleted'
    | 'CalicoEnterpriseObjectInUse';
  message: string;
}

export interface AdoptionDecision {
  memory: AdoptionMemory;
  /** The drain: one PUT of the whole member list and fortisync's comment (after the read the input holds). */
  write?: { members: string[]; comment: string };
  event?: AdoptionEvent;
  /** Read the group again this soon (ms); undefined once nothing is pending. */
  recheckMs?: number;
}

/** The member sets of a group, as the status counts them. */
export function memberCounts(
  group: ObservedGroup,
  isOurs: (m: string) => boolean,
  isTigera: (m: string) => boolean,
): { ours: number; tigera: number; foreign: number } {
  const real = group.members.filter((m) => m !== PLACEHOLDER);
  const ours = real.filter(isOurs).length;
  const tigera = real.filter((m) => !isOurs(m) && isTigera(m)).length;
  return { ours, tigera, foreign: real.length - ours - tigera };
}

/**
 * One step of a group's adoption, from a fresh read (ADR 0004 §3): add (the plan puts fortisync's
 * members beside Tigera's), settle (they must survive `settleMs`), drain (one write removes Tigera's
 * members and sets fortisync's comment), and stop on a second rewrite behind fortisync's back.
 */
export function adoptionStep(i: AdoptionInput): AdoptionDecision {
  const m = i.memory;
  if (m?.state === 'Conflict') return { memory: m };
  const g = i.group;
  if (!g) return { memory: fresh('Adding', i, 'the group is gone; fortisync creates it as its own') };
  const rewrite = rewriteSeen(i, g);
  if (rewrite) return onRewrite(i, g, rewrite);
  if (i.ownedByUs) return { memory: { ...(m?.state === 'Adopted' ? m : fresh('Adopted', i)), seenOurs: [] } };
  if (!isTigeraComment(g.comment)) {
    const message = `group ${g.name} does not carry Calico Enterprise's comment; it is not adopted (fortisync only adds its members, as for any existing group)`;
    return { memory: { ...fresh('NotCalicoEnterprise', i), message } };
  }
  const oursIn = g.members.filter(i.isOurs);
  const complete = [...i.wanted].every((w) => g.members.includes(w));
  const started: AdoptionEvent | undefined = m
    ? undefined
    : {
        type: 'Normal',
        reason: 'AdoptionStarted',
        message: `adopting group ${g.name} from Calico Enterprise: fortisync's members go in first, Tigera's leave once they have held for ${Math.round(i.settleMs / 1000)} s`,
      };
  const base = m && m.state !== 'NotCalicoEnterprise' ? m : fresh('Adding', i);
  if (!complete && base.completeSince === undefined) {
    return withEvent({ memory: { ...base, seenOurs: oursIn }, recheckMs: ADOPTION_RECHECK_MS }, started);
  }
  const completeSince = base.completeSince ?? i.now;
  const exact = complete && oursIn.every((o) => i.wanted.has(o));
  const waited = i.now - completeSince;
  if (!exact || waited < i.settleMs) {
    const settling: AdoptionMemory = {
      ...base,
      state: 'Settling',
      since: base.state === 'Settling' ? base.since : i.now,
      completeSince,
      seenOurs: oursIn,
    };
    const left = Math.max(i.settleMs - waited, 0);
    return withEvent(
      { memory: settling, recheckMs: Math.min(Math.max(left, 1), ADOPTION_RECHECK_MS) },
      started,
    );
  }
  const hold = i.drainHold?.(completeSince);
  if (hold) {
    const since = base.state === 'Settling' ? base.since : i.now;
    const held: AdoptionMemory = {
      ...base,
      state: 'Settling',
      since,
      completeSince,
      seenOurs: oursIn,
      message: hold,
    };
    return withEvent({ memory: held, recheckMs: ADOPTION_RECHECK_MS }, started);
  }
  return drain(i, g, base);
}

function withEvent(d: AdoptionDecision, event: AdoptionEvent | undefined): AdoptionDecision {
  return event ? { ...d, event } : d;
}

function fresh(state: AdoptionState, i: AdoptionInput, message?: string): AdoptionMemory {
  return {
    state,
    since: i.now,
    seenOurs: [],
    rewrites: i.memory?.rewrites ?? [],
    ...(message ? { message } : {}),
  };
}

/** Fortisync's members (that it still wants) gone, or Tigera's comment back on an adopted group. */
function rewriteSeen(i: AdoptionInput, g: ObservedGroup): string | undefined {
  const m = i.memory;
  if (!m) return undefined;
  if (m.state === 'Adopted' && !i.ownedByUs && isTigeraComment(g.comment))
    return `Calico Enterprise's comment is back on the adopted group ${g.name}`;
  if (m.state !== 'Adding' && m.state !== 'Settling') return undefined;
  const gone = m.seenOurs.filter((o) => i.wanted.has(o) && !g.members.includes(o));
  if (gone.length === 0) return undefined;
  return `${gone.length} of fortisync's members left group ${g.name} without fortisync removing them`;
}

function onRewrite(i: AdoptionInput, g: ObservedGroup, what: string): AdoptionDecision {
  const rewrites = [...(i.memory?.rewrites ?? []).filter((t) => i.now - t < FIGHT_WINDOW_MS), i.now];
  if (rewrites.length >= REWRITES_TO_STOP) {
    const message = `group ${g.name} on ${i.device} was rewritten behind fortisync's back ${rewrites.length} times in ${FIGHT_WINDOW_MS / 60_000} minutes (${what}): the Tigera firewall controller is probably still running. fortisync writes nothing more to this group; scale the controller to zero, then annotate ${i.device} (its FortiGateDevice or FortiManagerTarget) with ${RETRY_ADOPTION_ANNOTATION}=<any new value>`;
    return {
      memory: { state: 'Conflict', since: i.now, seenOurs: [], rewrites, message, retryToken: i.retryToken },
      event: { type: 'Warning', reason: 'AdoptionConflict', message },
    };
  }
  const message = `${what}; adding them again (a second rewrite within ${FIGHT_WINDOW_MS / 60_000} minutes stops adoption of this group)`;
  return {
    memory: { state: 'Adding', since: i.now, seenOurs: [], rewrites, message },
    event: { type: 'Warning', reason: 'AdoptionRewritten', message },
    recheckMs: ADOPTION_RECHECK_MS,
  };
}

type MemberView = Pick<AdoptionInput, 'wanted' | 'isOurs' | 'isTigera' | 'clusterName'>;

/** The drain's one write: foreign ∪ ours (`none` if empty), fortisync's comment; what leaves. */
export function drainWrite(
  i: MemberView,
  g: ObservedGroup,
): { members: string[]; comment: string; removed: string[]; foreign: string[] } {
  const foreign = g.members.filter(
    (x) => x !== PLACEHOLDER && x !== TIGERA_PLACEHOLDER && !i.isOurs(x) && !i.isTigera(x),
  );
  const ours = [...i.wanted].sort();
  const members = foreign.length + ours.length > 0 ? [...foreign, ...ours] : [PLACEHOLDER];
  const removed = g.members.filter((x) => !i.isOurs(x) && (x === TIGERA_PLACEHOLDER || i.isTigera(x)));
  return { members, comment: adoptedGroupComment(i.clusterName, g.name), removed, foreign };
}

/** Tigera's members and `no-members` leave in the one write that hands the group to fortisync. */
function drain(i: AdoptionInput, g: ObservedGroup, base: AdoptionMemory): AdoptionDecision {
  const { members, comment, removed, foreign } = drainWrite(i, g);
  return {
    memory: { state: 'Adopted', since: i.now, seenOurs: [], rewrites: base.rewrites },
    write: { members, comment },
    event: {
      type: 'Normal',
      reason: 'GroupAdopted',
      message: `adopted group ${g.name}: ${removed.length} Calico Enterprise member(s) left, ${i.wanted.size} of fortisync's and ${foreign.length} other(s) stay; the name is unchanged`,
    },
  };
}

/** The step `kubectl fortisync plan` shows for an adopted group. */
export type AdoptionNextStep =
  'AddFortisyncMembers' | 'DropTigeraMembers' | 'Done' | 'StoppedByConflict' | 'NotAdopted';

export interface AdoptionPreview {
  step: AdoptionNextStep;
  /** What the step is, in words (why it is not adopted, what stopped it). */
  detail: string;
  /** AddFortisyncMembers: the members fortisync adds beside Tigera's. */
  add?: string[];
  /** DropTigeraMembers: the one write (after the settle time, and on FortiManager the install). */
  write?: { members: string[]; comment: string; removed: string[] };
}

/**
 * Which adoption step a group is at, from the device as read now (pure; ADR 0004): what the
 * operator's next syncs would do to it, for a person about to apply a change. `stopped` is the
 * message of a stop the device status holds (and the retry annotation has not cleared).
 */
export function adoptionPreview(
  i: MemberView & Pick<AdoptionInput, 'group' | 'ownedByUs'> & { stopped?: string },
): AdoptionPreview {
  const g = i.group;
  if (i.stopped) return { step: 'StoppedByConflict', detail: i.stopped };
  if (!g) return { step: 'NotAdopted', detail: 'the group does not exist: fortisync creates it as its own' };
  if (i.ownedByUs)
    return { step: 'Done', detail: "adopted: the group carries fortisync's comment and members" };
  if (!isTigeraComment(g.comment))
    return {
      step: 'NotAdopted',
      detail: "the group's comment lacks Calico Enterprise's marker: fortisync only adds its members",
    };
  const add = [...i.wanted].filter((w) => !g.members.includes(w)).sort();
  if (add.length > 0)
    return {
      step: 'AddFortisyncMembers',
      detail: "fortisync's members go in beside Calico Enterprise's, which stay",
      add,
    };
  const { members, comment, removed } = drainWrite(i, g);
  return {
    step: 'DropTigeraMembers',
    detail:
      "fortisync's members are in; once they have held for settleSeconds, one write drops Calico Enterprise's members and sets fortisync's comment",
    write: { members, comment, removed },
  };
}

/** A stop stays until the retry annotation takes a value other than the one it had then. */
export function retryClears(memory: AdoptionMemory | undefined, retryToken: string): boolean {
  return memory?.state === 'Conflict' && (memory.retryToken ?? '') !== retryToken;
}

/** A Tigera object as a `with_meta` list shows it: its reference count from policies and groups. */
export interface TigeraObject {
  name: string;
  comment: string | undefined;
  refs: number | undefined;
}

/**
 * `cleanup: DeleteUnreferenced`: the Tigera-marked objects nothing references (FortiOS `q_ref` 0).
 * An unknown count is a reference (never delete on doubt); the groups being adopted, and objects a
 * deletion was refused for (-23, not retried in a loop), are never candidates.
 */
export function cleanupCandidates(objects: readonly TigeraObject[], keep: ReadonlySet<string>): string[] {
  return objects
    .filter((o) => isTigeraComment(o.comment) && o.refs === 0 && !keep.has(o.name))
    .map((o) => o.name)
    .sort();
}
