import winston, { type Logger } from 'winston';

/** A winston logger that keeps entries in memory so tests can assert on what was logged. */
export function memoryLogger(): { logger: Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  // winston re-exports winston-transport; importing it directly would rely on a transitive dependency.
  class Memory extends winston.Transport {
    override log(info: Record<string, unknown>, next: () => void): void {
      entries.push(info);
      next();
    }
  }
  return { logger: winston.createLogger({ level: 'debug', transports: [new Memory()] }), entries };
}
