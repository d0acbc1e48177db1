import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { GENERATED_HEADER } from './render.js';

export type FileAction = 'create' | 'update' | 'unchanged' | 'remove';

export interface FileChange {
  path: string;
  action: FileAction;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function isGenerated(path: string): boolean {
  const text = readFileSync(path, 'utf8');
  return text.startsWith(GENERATED_HEADER) || text.startsWith(`<!-- ${GENERATED_HEADER.slice(2)}`);
}

/**
 * What writing `files` into `dir` would change. A file an earlier run generated (it starts with
 * the header) that this run no longer produces is removed, so the directory mirrors the plan; any
 * other file in the directory is left alone.
 */
export function diffOutput(dir: string, files: Map<string, string>): FileChange[] {
  const changes: FileChange[] = [...files.entries()].map(([path, content]) => {
    const full = join(dir, path);
    if (!existsSync(full)) return { path, action: 'create' };
    return { path, action: readFileSync(full, 'utf8') === content ? 'unchanged' : 'update' };
  });
  for (const full of filesUnder(dir)) {
    const path = relative(dir, full);
    if (!files.has(path) && isGenerated(full)) changes.push({ path, action: 'remove' });
  }
  return changes.sort((a, b) => a.path.localeCompare(b.path));
}

/** Applies a diff; each file is written aside and renamed, so none is ever left half-written. */
export function writeOutput(dir: string, files: Map<string, string>, changes: FileChange[]): void {
  for (const { path, action } of changes) {
    const full = join(dir, path);
    if (action === 'remove') rmSync(full);
    else if (action !== 'unchanged') {
      mkdirSync(dirname(full), { recursive: true });
      const temporary = `${full}.tmp`;
      writeFileSync(temporary, files.get(path) as string);
      renameSync(temporary, full);
    }
  }
}
