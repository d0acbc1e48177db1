import { FMG, fail } from './codes.js';
import { AdomDb } from './objects.js';
import type { AdomContext } from './objects.js';
import type { Session } from './sessions.js';

export type WorkspaceMode = 'disabled' | 'normal' | 'workflow';
export type GlobalWorkspaceMode = WorkspaceMode | 'per-adom';

export interface LockState {
  user: string;
  sid: number;
  time: number;
  /** The holder's private copy: its writes land here and stay invisible until commit. */
  working: AdomDb;
  dirty: boolean;
  /** Workflow mode: the session id of a started workflow session. */
  workflowSession?: number;
}

interface PendingWorkflow {
  id: number;
  user: string;
  db: AdomDb;
  desc: string;
  state: 'draft' | 'submitted' | 'approved' | 'rejected';
}

/** One ADOM: the committed database, the lock (if any) and workflow sessions. */
export class Adom {
  committed: AdomDb;
  lock: LockState | undefined;
  /** Used when the global `workspace-mode` is `per-adom`. */
  workspaceMode: WorkspaceMode = 'normal';
  readonly workflows = new Map<number, PendingWorkflow>();

  constructor(
    readonly name: string,
    readonly oid: number,
    /** FortiOS version the ADOM manages, e.g. [7, 2]. */
    readonly version: readonly [number, number],
    ctx: AdomContext,
  ) {
    this.committed = new AdomDb(ctx);
  }

  /** What a session reads: its own uncommitted changes, or the committed database. */
  view(session: Session | undefined): AdomDb {
    return this.lock && session && this.lock.sid === session.sid ? this.lock.working : this.committed;
  }

  /** Where a session's write goes, or the FMG refusal for writing without (the right) lock. */
  writable(session: Session, mode: WorkspaceMode): AdomDb {
    if (mode === 'disabled') return this.lock?.sid === session.sid ? this.lock.working : this.committed;
    if (!this.lock) fail(FMG.noWritePermission);
    if (this.lock.sid !== session.sid) fail(FMG.lockedByOther, `by ${this.lock.user}`);
    if (mode === 'workflow' && this.lock.workflowSession === undefined) fail(FMG.noWritePermission);
    return this.lock.working;
  }

  /** A write of this session succeeded: its lock now holds uncommitted changes. */
  touched(session: Session): void {
    if (this.lock?.sid === session.sid) this.lock.dirty = true;
  }

  acquire(session: Session, now: number): void {
    if (this.lock && this.lock.sid !== session.sid) fail(FMG.lockedByOther, `by ${this.lock.user}`);
    if (this.lock) return;
    this.lock = {
      user: session.admin.name,
      sid: session.sid,
      time: now,
      working: this.committed.clone(),
      dirty: false,
    };
  }

  /** Unlock: uncommitted changes are discarded. */
  release(session: Session, preempt: boolean): void {
    if (!this.lock) return;
    if (this.lock.sid !== session.sid && !preempt) fail(FMG.lockedByOther, `by ${this.lock.user}`);
    this.lock = undefined;
  }

  commit(session: Session): void {
    if (!this.lock) fail(FMG.lockRequired);
    if (this.lock.sid !== session.sid) fail(FMG.lockedByOther, `by ${this.lock.user}`);
    this.committed = this.lock.working;
    this.lock.working = this.committed.clone();
    this.lock.dirty = false;
  }

  /** The session ended: its lock goes and its uncommitted changes with it. */
  sessionEnded(session: Session): void {
    if (this.lock?.sid === session.sid) this.lock = undefined;
  }

  startWorkflow(session: Session, id: number): number {
    if (!this.lock || this.lock.sid !== session.sid) fail(FMG.lockRequired);
    this.lock.workflowSession = id;
    this.workflows.set(id, { id, user: session.admin.name, db: this.lock.working, desc: '', state: 'draft' });
    return id;
  }

  /** Submits the session's changes for approval; the lock's copy goes back to the committed state. */
  submitWorkflow(session: Session, id: number, desc: string): void {
    const wf = this.ownDraft(session, id);
    wf.db = this.lock?.working.clone() ?? wf.db;
    wf.desc = desc;
    wf.state = 'submitted';
    if (this.lock) {
      this.lock.workflowSession = undefined;
      this.lock.working = this.committed.clone();
      this.lock.dirty = false;
    }
  }

  /** An approver accepts a submitted session: its database becomes the committed one. */
  approveWorkflow(id: number): void {
    const wf = this.workflows.get(id);
    if (!wf || wf.state !== 'submitted') fail(FMG.notFound, `workflow session ${id}`);
    if (this.lock) fail(FMG.adomLocked);
    this.committed = wf.db;
    wf.state = 'approved';
  }

  rejectWorkflow(id: number): void {
    const wf = this.workflows.get(id);
    if (!wf || wf.state !== 'submitted') fail(FMG.notFound, `workflow session ${id}`);
    wf.state = 'rejected';
  }

  workflowList(): { sessionid: number; user: string; desc: string; state: string }[] {
    return [...this.workflows.values()].map((w) => ({
      sessionid: w.id,
      user: w.user,
      desc: w.desc,
      state: w.state,
    }));
  }

  private ownDraft(session: Session, id: number): PendingWorkflow {
    const wf = this.workflows.get(id);
    if (!wf || wf.state !== 'draft') fail(FMG.notFound, `workflow session ${id}`);
    if (!this.lock || this.lock.sid !== session.sid) fail(FMG.lockRequired);
    return wf;
  }
}
