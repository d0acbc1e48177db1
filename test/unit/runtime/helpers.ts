import { Writable } from 'node:stream';
import winston, { type Logger } from 'winston';

/** A winston logger that keeps entries in memory so tests can assert on what was logged. */
export function memoryLogger(): { logger: Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _enc, next) {
      entries.push(info);
      next();
    },
  });
  return {
    logger: winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] }),
    entries,
  };
}
