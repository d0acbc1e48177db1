import { stripVTControlCharacters, styleText } from 'node:util';
import { stringify } from 'yaml';

/** Where a verb writes: stdout for results, stderr for progress and errors; colour only on a TTY. */
export interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

export const processIo = (): Io => ({ out: process.stdout, err: process.stderr });

export type OutputFormat = 'text' | 'json' | 'yaml';

export function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'text' || value === 'wide') return 'text';
  if (value === 'json' || value === 'yaml') return value;
  throw new Error(`-o ${value}: use json or yaml (or nothing for a table)`);
}

/** Machine output: the same data whatever the terminal, stable key order from the code. */
export function writeData(io: Io, format: 'json' | 'yaml', data: unknown): void {
  io.out.write(format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data));
}

type Style = 'green' | 'red' | 'yellow' | 'bold' | 'dim' | 'cyan';

/** Colours text when the stream is a terminal (and NO_COLOR is unset); plain otherwise. */
export function paint(io: Io, style: Style, text: string): string {
  return styleText(style, text, { stream: io.out, validateStream: true });
}

const width = (s: string): number => [...stripVTControlCharacters(s)].length;

/**
 * Columns aligned like kubectl's: upper-case headers, two spaces between columns, the last column
 * unpadded (so a long message does not pad every line); three spaces between columns, as kubectl. Cells may hold colour codes.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return columns([headers.map((h) => h.toUpperCase()), ...rows]);
}

/** Rows aligned in columns, without a header line. */
export function columns(all: readonly (readonly string[])[]): string {
  const headers = all[0] ?? [];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  return all
    .map((r) =>
      r
        .map((cell, i) =>
          i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] as number) - width(cell)),
        )
        .join('   ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A spinner with a label on stderr while a slow read runs, only on a terminal; it clears its line
 * when done, so output and pipes stay clean.
 */
export async function withProgress<T>(io: Io, label: string, work: () => Promise<T>): Promise<T> {
  if (!io.err.isTTY) return work();
  let frame = 0;
  const draw = (): void => {
    io.err.write(`\r${FRAMES[frame++ % FRAMES.length] as string} ${label}`);
  };
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    io.err.write(`\r${' '.repeat(label.length + 2)}\r`);
  }
}

/** "3m20s ago" for a timestamp, "-" when there is none. */
export function age(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Plain code-point order: the same on every machine, whatever its locale. */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
