import { readFile, rename, writeFile } from 'node:fs/promises';
import type { DeviceSnapshot } from './model/device-state.js';

export async function loadSnapshot(path: string): Promise<DeviceSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as DeviceSnapshot;
  if (parsed.format !== 'fortisync-simulator-state/v1' || !Array.isArray(parsed.vdoms)) {
    throw new Error(`${path} is not a fortisync simulator state file`);
  }
  return parsed;
}

/**
 * Writes the state after changes, coalescing bursts: at most one write in flight and one queued,
 * each to a temporary file renamed into place so a crash never leaves half a file.
 */
export class StateWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => DeviceSnapshot,
    private readonly delayMs = 50,
  ) {}

  markDirty(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    const text = JSON.stringify(this.snapshot(), null, 1);
    const tmp = `${this.path}.tmp`;
    this.writing = writeFile(tmp, text).then(() => rename(tmp, this.path));
    await this.writing;
  }
}
