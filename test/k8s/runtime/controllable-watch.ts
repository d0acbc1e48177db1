import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { WatchLike } from '../../../src/runtime/informer.js';

/** The real client-node Watch, with knobs to drop the connection and keep it down. */
export class ControllableWatch implements WatchLike {
  private readonly real: Watch;
  private current: { done: (err: unknown) => void } | undefined;
  blocked = false;
  starts = 0;
  /**
   * Answer the next watch like the API server answers one from an expired resourceVersion: an
   * in-stream ERROR 410, then end of stream. (A genuine 410 needs an API server restart; see
   * informer-restart.test.ts.)
   */
  expireNext = false;

  constructor(kc: KubeConfig) {
    this.real = new Watch(kc);
  }

  async watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    cb: (phase: string, o: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    if (this.blocked) {
      done(new Error('connection refused (test)'));
      return { abort: () => {} };
    }
    this.starts++;
    if (this.expireNext) {
      this.expireNext = false;
      cb('ERROR', {
        kind: 'Status',
        status: 'Failure',
        reason: 'Expired',
        code: 410,
        message: 'too old resource version',
      });
      done(null);
      return { abort: () => {} };
    }
    this.current = { done };
    return this.real.watch(path, params, cb, done);
  }

  /** Simulates the stream failing, as client-node reports it. */
  drop(): void {
    this.current?.done(new Error('socket hang up (test)'));
  }
}
