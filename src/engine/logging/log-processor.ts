// LogProcessor: turns the message hub's scalars into MMEngine's log lines and tags (for the terminal and the visualizer).
import { z } from 'zod';
import { ConfigError, parseOptions } from '../config/errors.js';
import { LOG_PROCESSORS } from '../registry/index.js';
import type { MessageHub } from './message-hub.js';
import { formatExp, formatFixed, formatTimedelta, pyRepr } from './py-format.js';

export type LogMode = 'train' | 'val' | 'test';
const MODES: readonly LogMode[] = ['train', 'val', 'test'];

/**
 * What the LogProcessor reads from the Runner (the Runner implements it). Names follow MMEngine's
 * Runner attributes.
 */
export interface LogRunnerView {
  /** Train iterations done so far = the 0-based index of the current train iteration (Runner.iter). */
  readonly iter: number;
  /** Train epochs done so far; during validation after epoch e it is already e (Runner.epoch). */
  readonly epoch: number;
  readonly maxIters: number;
  readonly maxEpochs: number;
  /** Scalars are read from `logScalars` ('train/loss', 'val/mIoU', ...); `eta` and 'val/...' infos from `runtimeInfo`. */
  readonly messageHub: Pick<MessageHub, 'logScalars' | 'runtimeInfo'>;
  /**
   * Whether the train loop has been built, i.e. this is a training run (MMEngine checks
   * `runner._train_loop` is neither a dict nor None). When false (a bare val/test run) the epoch
   * shows as 0, the tag's iter is 0 and the epoch field is not right-aligned.
   */
  readonly trainLoopBuilt: boolean;
  /** len(loop.dataloader) of the train, val or test loop. */
  dataloaderLength(mode: LogMode): number;
  /**
   * Peak memory in MB to show as `memory:` (MMEngine: CUDA max allocated, reset after reading);
   * undefined leaves the field out. Without this method the process RSS in MB is shown.
   */
  maxMemoryMB?(): number | undefined;
}

const customCfgSchema = z.object({
  data_src: z.string(),
  method_name: z.enum(['mean', 'min', 'max', 'current']),
  window_size: z.union([z.number().int().positive(), z.literal('epoch'), z.literal('global')],
    { error: "expected a positive integer, 'epoch' or 'global'" }).optional(),
  log_name: z.string().optional(),
}).strict();

export const logProcessorSchema = z.object({
  /** Smoothing window (iterations) for keys matching mean_pattern. */
  window_size: z.number().int().positive().default(10),
  by_epoch: z.boolean().default(true),
  /** Extra or overriding statistics: [{ data_src, method_name, window_size?, log_name? }]. */
  custom_cfg: z.array(customCfgSchema).nullable().default(null),
  num_digits: z.number().int().min(0).max(20).default(4),
  /** Tag keys keep their 'train/' / 'val/' prefix (the log line does not). */
  log_with_hierarchy: z.boolean().default(false),
  /** Keys matching this (Python `re.search`) are smoothed by the window mean; others show the current value. */
  mean_pattern: z.string().default('.*(loss|time|data_time|grad_norm).*'),
}).strict();

export type LogProcessorOptions = z.input<typeof logProcessorSchema>;
export type CustomLogCfg = z.infer<typeof customCfgSchema>;
type ParsedLogCfg = Omit<CustomLogCfg, 'window_size'> & { window_size?: number };

export interface IterLog {
  /** Values for the visualizer: scalars, then epoch (by epoch, train/val), iter and memory. */
  tag: Record<string, number>;
  logStr: string;
}

export interface EpochLog {
  /** Metrics and other scalars, non-scalar infos when asked for, then data_time and time. */
  tag: Record<string, unknown>;
  logStr: string;
}

const removePrefix = (s: string, prefix: string): string => (s.startsWith(prefix) ? s.slice(prefix.length) : s);

function checkMode(mode: string, allowed: readonly LogMode[], what: string): asserts mode is LogMode {
  if (!allowed.includes(mode as LogMode)) {
    throw new RangeError(`LogProcessor.${what}: mode must be ${allowed.map((m) => `'${m}'`).join(' | ')}, got '${mode}'`);
  }
}

export class LogProcessor {
  readonly windowSize: number;
  readonly byEpoch: boolean;
  readonly customCfg: readonly CustomLogCfg[];
  readonly numDigits: number;
  readonly logWithHierarchy: boolean;
  readonly meanPattern: RegExp;

  constructor(options: LogProcessorOptions = {}) {
    const o = parseOptions(logProcessorSchema, options);
    this.windowSize = o.window_size;
    this.byEpoch = o.by_epoch;
    this.customCfg = o.custom_cfg ?? [];
    this.numDigits = o.num_digits;
    this.logWithHierarchy = o.log_with_hierarchy;
    try {
      this.meanPattern = new RegExp(o.mean_pattern);
    } catch (err) {
      throw new ConfigError(['mean_pattern'], `not a valid regular expression: ${(err as Error).message}`);
    }
    this.#checkCustomCfg();
  }

  /** MMEngine's rules: each log_name (default: data_src) at most once; 'epoch' windows need by_epoch. */
  #checkCustomCfg(): void {
    const seen = new Map<string, number>();
    this.customCfg.forEach((cfg, i) => {
      const logName = cfg.log_name ?? cfg.data_src;
      const first = seen.get(logName);
      if (first !== undefined) {
        throw new ConfigError(['custom_cfg', i, cfg.log_name === undefined ? 'data_src' : 'log_name'],
          `log name '${logName}' (data_src '${cfg.data_src}') is already written by custom_cfg.${first}; ` +
          'give each entry its own log_name (an entry without one overwrites its data_src, which only one entry may do)');
      }
      seen.set(logName, i);
      if (cfg.method_name === 'current' && cfg.window_size !== undefined) {
        throw new ConfigError(['custom_cfg', i, 'window_size'], "method_name 'current' takes no window_size");
      }
      if (!this.byEpoch && cfg.window_size === 'epoch') {
        throw new ConfigError(['custom_cfg', i, 'window_size'], "'epoch' needs by_epoch: true (the log processor has by_epoch: false)");
      }
    });
  }

  /** The line and tag after a train, val or test iteration (`batchIdx`: index in the current loop). */
  getLogAfterIter(runner: LogRunnerView, batchIdx: number, mode: LogMode): IterLog {
    checkMode(mode, MODES, 'getLogAfterIter');
    const parsed = this.#parseWindowSize(runner, batchIdx, this.customCfg);
    const logTag = this.#collectScalars(parsed, runner, mode, false);
    const tag = this.logWithHierarchy ? this.#collectScalars(parsed, runner, mode, true) : new Map(logTag);

    const lrParts: string[] = [];
    for (const [key, value] of tag) {
      if (!key.endsWith('lr')) continue;
      const bare = removePrefix(key, `${mode}/`);
      logTag.delete(bare);
      lrParts.push(`${bare}: ${formatExp(value, this.numDigits)}`);
    }

    let logStr: string;
    if (this.byEpoch) {
      const len = runner.dataloaderLength(mode);
      const curIter = String(batchIdx + 1).padStart(String(len).length);
      if (mode === 'train' || mode === 'val') {
        const epoch = this.#epoch(runner, mode);
        // Right-align the epoch to max_epochs' width so lines of epoch 9 and 10 line up.
        const epochStr = runner.trainLoopBuilt ? `[${epoch}]`.padStart(String(runner.maxEpochs).length + 3) : `[${epoch}]`;
        tag.set('epoch', epoch);
        logStr = `Epoch(${mode})${epochStr}[${curIter}/${len}]  `;
      } else {
        logStr = `Epoch(${mode}) [${curIter}/${len}]  `;
      }
    } else if (mode === 'train') {
      const curIter = String(runner.iter + 1).padStart(String(runner.maxIters).length);
      logStr = `Iter(${mode}) [${curIter}/${runner.maxIters}]  `;
    } else {
      const len = runner.dataloaderLength(mode);
      logStr = `Iter(${mode}) [${String(batchIdx + 1).padStart(String(len).length)}/${len}]  `;
    }
    tag.set('iter', runner.trainLoopBuilt ? runner.iter + 1 : 0);
    logStr += `${lrParts.join(' ')}  `;

    const time = logTag.get('time');
    const dataTime = logTag.get('data_time');
    if (time !== undefined && dataTime !== undefined && runner.messageHub.runtimeInfo.has('eta')) {
      const eta = Number(runner.messageHub.runtimeInfo.get('eta'));
      logStr += `eta: ${formatTimedelta(eta)}  `;
      logStr += `time: ${formatFixed(time, this.numDigits)}  data_time: ${formatFixed(dataTime, this.numDigits)}  `;
      logTag.delete('time');
      logTag.delete('data_time');
    }

    const memory = runner.maxMemoryMB ? runner.maxMemoryMB() : Math.floor(process.memoryUsage.rss() / 2 ** 20);
    if (memory !== undefined) {
      logStr += `memory: ${memory}  `;
      tag.set('memory', memory);
    }

    if (mode === 'train' || mode === 'val') {
      const items: string[] = [];
      for (const [name, value] of logTag) {
        // As MMEngine: the keys here have lost their 'val/' prefix, so val lines list no scalars.
        if (mode === 'val' && !name.startsWith('val/loss')) continue;
        items.push(`${name}: ${formatFixed(value, this.numDigits)}`);
      }
      logStr += items.join('  ');
    }
    return { tag: Object.fromEntries(tag), logStr };
  }

  /**
   * The line and tag after a val or test epoch: metrics (scalars logged as 'val/<metric>'),
   * non-scalar infos ('val/<name>' runtime info) and the epoch's mean data_time and time.
   */
  getLogAfterEpoch(runner: LogRunnerView, batchIdx: number, mode: 'val' | 'test', withNonScalar = false): EpochLog {
    checkMode(mode, ['val', 'test'], 'getLogAfterEpoch');
    const len = runner.dataloaderLength(mode);
    let logStr: string;
    if (!this.byEpoch) logStr = `Iter(${mode}) [${len}/${len}]  `;
    else if (mode === 'val') logStr = `Epoch(${mode}) [${this.#epoch(runner, mode)}][${len}/${len}]  `;
    else logStr = `Epoch(${mode}) [${len}/${len}]  `;

    // time and data_time are averaged over the epoch unless custom_cfg says otherwise.
    const cfgs: (CustomLogCfg | ParsedLogCfg)[] = [...this.customCfg];
    const customKeys = cfgs.map((c) => removePrefix(c.data_src, `${mode}/`));
    for (const key of ['time', 'data_time']) {
      if (!customKeys.includes(key)) cfgs.push({ data_src: key, window_size: 'epoch', method_name: 'mean' });
    }
    const parsed = this.#parseWindowSize(runner, batchIdx, cfgs);
    const oriTag = this.#collectScalars(parsed, runner, mode, this.logWithHierarchy);
    const nonScalars = this.#collectNonScalars(runner, mode);

    const tag = new Map<string, unknown>();
    const timeTag = new Map<string, number>();
    const timeKeys = [`${mode}/time`, `${mode}/data_time`, 'time', 'data_time'];
    for (const [key, value] of oriTag) (timeKeys.includes(key) ? timeTag : tag).set(key, value);

    const items: string[] = [];
    for (const [name, value] of [...tag, ...nonScalars, ...timeTag]) items.push(`${name}: ${this.#formatValue(value)}`);
    logStr += '  ' + items.join('  ');

    if (withNonScalar) for (const [k, v] of nonScalars) tag.set(k, v);
    for (const [k, v] of timeTag) tag.set(k, v);
    return { tag: Object.fromEntries(tag), logStr };
  }

  #formatValue(value: unknown): string {
    if (typeof value === 'number') return formatFixed(value, this.numDigits);
    if (typeof value === 'string') return value;
    // Tensors print on their own lines, as MMEngine does for tensors and arrays.
    if (value !== null && typeof value === 'object' && Array.isArray((value as { shape?: unknown }).shape)) return `\n${String(value)}\n`;
    return pyRepr(value);
  }

  /** The mode's scalars: window means for mean_pattern keys, current values otherwise, then custom_cfg's. */
  #collectScalars(cfgs: readonly ParsedLogCfg[], runner: LogRunnerView, mode: LogMode, keepPrefix: boolean): Map<string, number> {
    const modeScalars = new Map<string, ReturnType<MessageHub['getScalar']>>();
    for (const [prefixed, buffer] of runner.messageHub.logScalars) {
      // As MMEngine, a bare prefix test: 'training_x' counts as a train key too.
      if (prefixed.startsWith(mode)) modeScalars.set(keepPrefix ? prefixed : removePrefix(prefixed, `${mode}/`), buffer);
    }
    const tag = new Map<string, number>();
    for (const [key, buffer] of modeScalars) {
      tag.set(key, this.meanPattern.test(key) ? buffer.mean(this.windowSize) : buffer.current());
    }
    for (const cfg of cfgs) {
      let dataSrc = cfg.data_src;
      let logName = cfg.log_name ?? dataSrc;
      if (keepPrefix) {
        dataSrc = `${mode}/${dataSrc}`;
        logName = `${mode}/${logName}`;
      }
      const buffer = modeScalars.get(dataSrc);
      if (buffer) tag.set(logName, buffer.statistics(cfg.method_name, cfg.window_size));
    }
    return tag;
  }

  /** The mode's runtime infos ('val/recall' -> 'recall' unless log_with_hierarchy). */
  #collectNonScalars(runner: LogRunnerView, mode: LogMode): Map<string, unknown> {
    const infos = new Map<string, unknown>();
    for (const [prefixed, value] of runner.messageHub.runtimeInfo) {
      if (prefixed.startsWith(mode)) infos.set(this.logWithHierarchy ? prefixed : removePrefix(prefixed, `${mode}/`), value);
    }
    return infos;
  }

  /** custom_cfg with 'epoch' as batchIdx + 1 and 'global' as iter + 1. */
  #parseWindowSize(runner: LogRunnerView, batchIdx: number, cfgs: readonly (CustomLogCfg | ParsedLogCfg)[]): ParsedLogCfg[] {
    return cfgs.map((cfg) => {
      const w = cfg.window_size;
      return { ...cfg, window_size: w === 'epoch' ? batchIdx + 1 : w === 'global' ? runner.iter + 1 : w };
    });
  }

  #epoch(runner: LogRunnerView, mode: 'train' | 'val'): number {
    if (mode === 'train') return runner.epoch + 1;
    // The train loop has already counted the epoch being validated.
    return runner.trainLoopBuilt ? runner.epoch : 0;
  }
}

LOG_PROCESSORS.register(LogProcessor);
