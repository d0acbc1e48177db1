import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';

/** The leader-election fields of a coordination.k8s.io/v1 Lease; times are epoch ms. */
export interface LeaderElectionRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: number;
  renewTime: number;
  leaseTransitions: number;
}

export interface VersionedRecord {
  record: LeaderElectionRecord;
  resourceVersion: string;
}

/** Thrown by a LeaseStore when an optimistic-concurrency write lost (HTTP 409). */
export class LeaseConflictError extends Error {
  constructor(message = 'lease was modified concurrently') {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

/** Storage of one leader-election lock, with compare-and-swap on resourceVersion. */
export interface LeaseStore {
  /** The current record, or undefined if the lock object does not exist. */
  get(): Promise<VersionedRecord | undefined>;
  /** Creates the lock; throws LeaseConflictError if it already exists. */
  create(record: LeaderElectionRecord): Promise<VersionedRecord>;
  /** Replaces the lock if it is still at `resourceVersion`; else throws LeaseConflictError. */
  update(record: LeaderElectionRecord, resourceVersion: string): Promise<VersionedRecord>;
  /** For logs, e.g. "fortisync-system/fortisync-leader". */
  describe(): string;
}

type LeaseApi = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
>;

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function toMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return Date.parse(v) || 0;
  return 0;
}

function fromLease(lease: V1Lease): VersionedRecord {
  const s = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: s.holderIdentity ?? '',
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      acquireTime: toMs(s.acquireTime),
      renewTime: toMs(s.renewTime),
      leaseTransitions: s.leaseTransitions ?? 0,
    },
  };
}

function toSpec(r: LeaderElectionRecord): V1Lease['spec'] {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: new V1MicroTime(r.acquireTime),
    renewTime: new V1MicroTime(r.renewTime),
    leaseTransitions: r.leaseTransitions,
  };
}

/** A LeaseStore on a coordination.k8s.io/v1 Lease via client-node's CoordinationV1Api. */
export function kubeLeaseStore(api: LeaseApi, namespace: string, name: string): LeaseStore {
  const conflictOr = (err: unknown): never => {
    if (statusCode(err) === 409) throw new LeaseConflictError();
    throw err;
  };
  return {
    describe: () => `${namespace}/${name}`,
    async get() {
      try {
        return fromLease(await api.readNamespacedLease({ namespace, name }));
      } catch (err) {
        if (statusCode(err) === 404) return undefined;
        throw err;
      }
    },
    async create(record) {
      try {
        const body: V1Lease = { metadata: { name, namespace }, spec: toSpec(record) };
        return fromLease(await api.createNamespacedLease({ namespace, body }));
      } catch (err) {
        return conflictOr(err);
      }
    },
    async update(record, resourceVersion) {
      try {
        const body: V1Lease = { metadata: { name, namespace, resourceVersion }, spec: toSpec(record) };
        return fromLease(await api.replaceNamespacedLease({ namespace, name, body }));
      } catch (err) {
        return conflictOr(err);
      }
    },
  };
}
