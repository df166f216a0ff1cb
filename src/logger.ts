import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.ts';

/**
 * The process's logger: JSON lines (what log collectors read), or readable
 * lines when standard output is a terminal (a person is watching).
 */
export async function createLogger(level: LogLevel, output: NodeJS.WriteStream = process.stdout): Promise<Logger> {
  if (!output.isTTY) return pino({ level });
  const { default: pretty } = await import('pino-pretty');
  return pino({ level }, pretty({ destination: output, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
