import winston, { type Logger } from 'winston';

const secrets = new Set<string>();
const REDACTED = '[REDACTED]';
const SENSITIVE_KEY = /^(authorization|token|access_token|password|secret|apikey|api_key|bearer)$/i;

/** Every later log line has this value replaced, wherever it appears (tokens read from Secrets). */
export function registerSecret(value: string): void {
  if (value.length >= 4) secrets.add(value);
}

function scrubString(s: string): string {
  let out = s.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`);
  out = out.replace(/(access_token=)[^&\s"']+/gi, `$1${REDACTED}`);
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** Redacts tokens in strings, and whole values under sensitive keys, recursively. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return scrubString(value.stack ?? value.message);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SENSITIVE_KEY.test(k) ? REDACTED : scrub(v, depth + 1);
  return out;
}

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    const v = (info as Record<string, unknown>)[key];
    (info as Record<string, unknown>)[key] = SENSITIVE_KEY.test(key) ? REDACTED : scrub(v);
  }
  return info;
});

export type LogFormat = 'json' | 'text';

export function createLogger(level: string, format: LogFormat): Logger {
  const base = [winston.format.timestamp(), winston.format.errors({ stack: true }), redact()];
  return winston.createLogger({
    level,
    format:
      format === 'json'
        ? winston.format.combine(...base, winston.format.json())
        : winston.format.combine(
            ...base,
            winston.format.printf(({ timestamp, level: lvl, message, ...meta }) => {
              const rest = Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : '';
              return `${String(timestamp)} ${lvl.toUpperCase().padEnd(5)} ${String(message)}${rest}`;
            }),
          ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}
