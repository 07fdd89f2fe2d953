// MMLogger: leveled logging to the terminal and a run's log file in MMEngine's line format, plus printLog.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Python's logging levels; a config's `log_level` names one or gives the number. */
export const LOG_LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;
export type LogLevel = LogLevelName | number;

/** The logger name in every line (MMEngine writes 'mmengine'). */
export const DEFAULT_LOGGER_NAME = 'segkit';

export interface MMLoggerOptions {
  /** The name shown in each line; defaults to 'segkit'. */
  loggerName?: string;
  /** Also write lines (without colour) to this file. */
  logFile?: string;
  /** The handlers' threshold (config `log_level`); defaults to 'INFO'. */
  logLevel?: LogLevel;
  /** 'w' truncates the file, 'a' appends (the Runner uses 'a'). */
  fileMode?: 'w' | 'a';
  /** Every rank writes its own file (`<name>_<user@host>_device<d>_rank<r><ext>`) when world size > 1. */
  distributed?: boolean;
  /** This process's rank and the world size; default from RANK / WORLD_SIZE. Ranks > 0 print only errors. */
  rank?: number;
  worldSize?: number;
  /** Where terminal lines go; defaults to process.stdout. */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Colour the level on the terminal; defaults to a TTY without NO_COLOR (or FORCE_COLOR set). */
  color?: boolean;
}

/** A level name or number as a number, naming the bad value otherwise. */
export function toLevelNumber(level: LogLevel): number {
  if (typeof level === 'number' && Number.isInteger(level) && level >= 0) return level;
  if (typeof level === 'string' && Object.hasOwn(LOG_LEVELS, level.toUpperCase())) return LOG_LEVELS[level.toUpperCase() as LogLevelName];
  throw new RangeError(`log_level: expected ${Object.keys(LOG_LEVELS).map((l) => `'${l}'`).join(' | ')} or a level number, got ${JSON.stringify(level)}`);
}

function levelName(level: number): LogLevelName | `Level ${number}` {
  const found = (Object.entries(LOG_LEVELS) as [LogLevelName, number][]).find(([, n]) => n === level);
  return found ? found[0] : `Level ${level}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Python's `%Y/%m/%d %H:%M:%S` (file) or `%m/%d %H:%M:%S` (terminal), local time. */
function asctime(date: Date, withYear: boolean): string {
  const day = `${pad2(date.getMonth() + 1)}/${pad2(date.getDate())}`;
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return `${withYear ? `${date.getFullYear()}/` : ''}${day} ${time}`;
}

/** The Runner's run timestamp, `%Y%m%d_%H%M%S` in local time (names the log dir and file). */
export function runTimestamp(date: Date = new Date()): string {
  return `${date.getFullYear()}${pad2(date.getMonth() + 1)}${pad2(date.getDate())}_${pad2(date.getHours())}${pad2(date.getMinutes())}${pad2(date.getSeconds())}`;
}

// termcolor's codes, as MMEngine colours the level: colour, then underline, then blink for WARNING/ERROR.
const COLOR_CODES: Record<string, number> = { ERROR: 31, WARNING: 33, INFO: 97, DEBUG: 32 };
function coloredLevel(name: string): string {
  const code = COLOR_CODES[name];
  if (code === undefined) return name;
  let text = `\x1b[${code}m${name}`;
  text = `\x1b[4m${text}`;
  if (name === 'ERROR' || name === 'WARNING') text = `\x1b[5m${text}`;
  return `${text}\x1b[0m`;
}

/** Python's `%(pathname)s - %(funcName)s - %(lineno)d` of the first caller outside this file. */
function callerLocation(): string {
  const self = fileURLToPath(import.meta.url);
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const m = /^\s*at (?:(.*?) \()?(.*?):(\d+):\d+\)?$/.exec(line);
    if (!m) continue;
    const file = m[2]!.startsWith('file://') ? fileURLToPath(m[2]!) : m[2]!;
    if (file === self) continue;
    return `${file} - ${m[1] ?? '<module>'} - ${m[3]}`;
  }
  return '(unknown file) - (unknown function) - 0';
}

interface Handler {
  level: number;
  withYear: boolean;
  color: boolean;
  write(text: string): void;
  // MMEngine's FilterDuplicateWarning: each warning message once per handler.
  seenWarnings: Set<string>;
}

export class MMLogger {
  static readonly #instances = new Map<string, MMLogger>();

  readonly instanceName: string;
  /** The name in each line. */
  readonly name: string;
  readonly logFile: string | undefined;
  /** The logger's own threshold (0: everything reaches the handlers, which filter by log_level). */
  level = 0;
  readonly #handlers: Handler[] = [];
  #fd: number | undefined;

  constructor(instanceName: string, options: MMLoggerOptions = {}) {
    this.instanceName = instanceName;
    this.name = options.loggerName ?? DEFAULT_LOGGER_NAME;
    const logLevel = toLevelNumber(options.logLevel ?? 'INFO');
    const rank = options.rank ?? Number(process.env.RANK ?? 0);
    const worldSize = options.worldSize ?? Number(process.env.WORLD_SIZE ?? 1);
    const stream = options.stream ?? process.stdout;
    const color = options.color ?? (process.env.FORCE_COLOR !== undefined || (Boolean(stream.isTTY) && process.env.NO_COLOR === undefined));
    this.#handlers.push({
      level: rank === 0 ? logLevel : LOG_LEVELS.ERROR, withYear: false, color,
      write: (text) => void stream.write(text), seenWarnings: new Set(),
    });

    let logFile = options.logFile;
    if (logFile !== undefined) {
      const perRank = (logLevel <= LOG_LEVELS.DEBUG || Boolean(options.distributed)) && worldSize > 1;
      if (perRank) {
        const ext = extname(logFile);
        const host = hostInfo();
        const device = Number(process.env.LOCAL_RANK ?? 0);
        logFile = join(dirname(logFile), `${basename(logFile, ext)}${host ? `_${host}` : ''}_device${device}_rank${rank}${ext}`);
      }
      if (rank === 0 || perRank) {
        mkdirSync(dirname(logFile), { recursive: true });
        const fd = openSync(logFile, options.fileMode ?? 'w');
        this.#fd = fd;
        this.#handlers.push({ level: logLevel, withYear: true, color: false, write: (text) => writeSync(fd, text), seenWarnings: new Set() });
      }
    }
    this.logFile = logFile;
  }

  /** The logger named `instanceName`, made on first use (MMEngine's MMLogger.get_instance). */
  static getInstance(instanceName: string, options?: MMLoggerOptions): MMLogger {
    let logger = MMLogger.#instances.get(instanceName);
    if (!logger) {
      logger = new MMLogger(instanceName, options);
      MMLogger.#instances.set(instanceName, logger);
    } else if (options && Object.keys(options).length > 0) {
      logger.warning(`MMLogger '${instanceName}' already exists; getInstance ignores the other arguments`);
    }
    return logger;
  }

  /** The most recently made logger; a plain terminal 'segkit' one when none was made yet. */
  static getCurrentInstance(): MMLogger {
    if (MMLogger.#instances.size === 0) MMLogger.getInstance(DEFAULT_LOGGER_NAME);
    return [...MMLogger.#instances.values()].at(-1)!;
  }

  static checkInstanceCreated(instanceName: string): boolean {
    return MMLogger.#instances.has(instanceName);
  }

  /** Closes and forgets every process-wide logger (for tests and a second run in one process). */
  static clearInstances(): void {
    for (const logger of MMLogger.#instances.values()) logger.close();
    MMLogger.#instances.clear();
  }

  setLevel(level: LogLevel): void {
    this.level = toLevelNumber(level);
  }

  log(level: LogLevel, message: string): void {
    const n = toLevelNumber(level);
    if (n < this.level) return;
    const now = new Date();
    const name = levelName(n);
    const location = n === LOG_LEVELS.ERROR ? `${callerLocation()} - ` : '';
    for (const h of this.#handlers) {
      if (n < h.level) continue;
      if (n === LOG_LEVELS.WARNING) {
        if (h.seenWarnings.has(message)) continue;
        h.seenWarnings.add(message);
      }
      h.write(`${asctime(now, h.withYear)} - ${this.name} - ${h.color ? coloredLevel(name) : name} - ${location}${message}\n`);
    }
  }

  debug(message: string): void { this.log(LOG_LEVELS.DEBUG, message); }
  info(message: string): void { this.log(LOG_LEVELS.INFO, message); }
  warning(message: string): void { this.log(LOG_LEVELS.WARNING, message); }
  error(message: string): void { this.log(LOG_LEVELS.ERROR, message); }

  /** Closes the log file; later lines go to the terminal only. */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    this.#handlers.splice(1);
  }
}

/** `user@host`, or '' where either is unavailable (as MMEngine's _get_host_info). */
function hostInfo(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return '';
  }
}

/**
 * MMEngine's print_log: no logger prints with console.log; 'silent' drops; 'current' uses the
 * latest logger; another string names a created logger (an error if there is none).
 */
export function printLog(message: string, logger?: MMLogger | 'silent' | 'current' | string, level: LogLevel = 'INFO'): void {
  if (logger === undefined) console.log(message);
  else if (logger instanceof MMLogger) logger.log(level, message);
  else if (logger === 'silent') return;
  else if (logger === 'current') MMLogger.getCurrentInstance().log(level, message);
  else if (MMLogger.checkInstanceCreated(logger)) MMLogger.getInstance(logger).log(level, message);
  else throw new RangeError(`printLog: no MMLogger named '${logger}' has been created`);
}

export interface RunLoggerOptions {
  /** The instance name (the Runner's experiment name). */
  name: string;
  /** `<work_dir>/<timestamp>`; the file is `<logDir>/<timestamp>.log`. */
  logDir: string;
  timestamp: string;
  /** Config `log_level`. */
  logLevel?: LogLevel;
  rank?: number;
  worldSize?: number;
  stream?: MMLoggerOptions['stream'];
}

/** The Runner's logger (MMEngine's Runner.build_logger): terminal plus `<logDir>/<timestamp>.log`, appended. */
export function buildRunLogger(opts: RunLoggerOptions): MMLogger {
  return MMLogger.getInstance(opts.name, {
    logFile: join(opts.logDir, `${opts.timestamp}.log`),
    logLevel: opts.logLevel ?? 'INFO',
    fileMode: 'a',
    rank: opts.rank,
    worldSize: opts.worldSize,
    stream: opts.stream,
  });
}
