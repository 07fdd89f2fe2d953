// LoggerHook: writes the log processor's lines to the logger and its scalars to the visualizer
// every `interval` iterations, and copies the run's log files to out_dir at the end, as MMEngine's.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseOptions } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import { pythonJsonDumps } from '../visualization/python-json.js';
import type { Runner } from '../runner/runner.js';
import type { DataBatch } from '../model/base-model.js';
import { Hook, type Metrics } from './hook.js';

export const loggerHookSchema = z.object({
  /** Log every `interval` iterations of the current loop. */
  interval: z.number().int().positive().default(10),
  /** Skip the epoch's last iterations when fewer than `interval` remain (unless the epoch is shorter than interval). */
  ignore_last: z.boolean().default(true),
  /** Print `Exp name: ...` every this many train iterations (and at each epoch's end). */
  interval_exp_name: z.number().int().positive().default(1000),
  /** Copy the log files to `<out_dir>/<basename of work_dir>` after the run. */
  out_dir: z.string().nullable().default(null),
  /** Which files of the log dir are copied (names ending in one of these). */
  out_suffix: z.union([z.string(), z.array(z.string())]).default(['.json', '.log', '.py', 'yaml']),
  /** Keep the local log files after copying them to out_dir. */
  keep_local: z.boolean().default(true),
  /** Accepted for MMEngine configs; segkit writes local files only, so they are ignored. */
  file_client_args: z.record(z.string(), z.unknown()).nullable().default(null),
  backend_args: z.record(z.string(), z.unknown()).nullable().default(null),
  /** Validation scalars are recorded at step = epoch (true) or iteration (false). */
  log_metric_by_epoch: z.boolean().default(true),
}).strict();

export type LoggerHookOptions = z.input<typeof loggerHookSchema>;

/** Files under `dir` (relative paths, recursive) whose path ends with one of `suffixes` (MMEngine's scandir). */
function scanDir(dir: string, suffixes: readonly string[]): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && suffixes.some((s) => full.endsWith(s))) out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out;
}

/** MMEngine's _process_tags: JSON-friendly values; tensors as lists; anything else becomes null. */
function jsonFriendly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonFriendly);
  if (value === null || value === undefined) return null;
  if (['string', 'number', 'boolean'].includes(typeof value)) return value;
  if (typeof value === 'object') {
    const tolist = (value as { tolist?: unknown }).tolist;
    if (typeof tolist === 'function') return tolist.call(value);
    if (Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonFriendly(v)]));
    }
  }
  return null;
}

export class LoggerHook extends Hook {
  static override priority = 'BELOW_NORMAL';
  readonly interval: number;
  readonly ignoreLast: boolean;
  readonly intervalExpName: number;
  readonly outSuffix: readonly string[];
  readonly keepLocal: boolean;
  readonly logMetricByEpoch: boolean;
  /** As configured; `outDir` adds the work dir's name once the run starts. */
  readonly outRoot: string | null;
  outDir: string | null = null;
  readonly #ignoredArgs: boolean;

  constructor(options: unknown = {}) {
    super();
    const o = parseOptions(loggerHookSchema, options);
    if (o.out_dir === null && o.file_client_args !== null) {
      throw new ConfigError(['file_client_args'], 'should be null when out_dir is not set');
    }
    if (o.file_client_args !== null && o.backend_args !== null) {
      throw new ConfigError(['file_client_args'], 'file_client_args and backend_args cannot be set at the same time');
    }
    this.interval = o.interval;
    this.ignoreLast = o.ignore_last;
    this.intervalExpName = o.interval_exp_name;
    this.outRoot = o.out_dir;
    this.outSuffix = typeof o.out_suffix === 'string' ? [o.out_suffix] : o.out_suffix;
    this.keepLocal = o.keep_local;
    this.logMetricByEpoch = o.log_metric_by_epoch;
    this.#ignoredArgs = o.file_client_args !== null || o.backend_args !== null;
  }

  /** Also recorded by the vis backends next to scalars.json (MMEngine's json_log_path). */
  jsonLogPath(runner: Runner): string {
    return `${runner.timestamp}.json`;
  }

  override beforeRun(runner: Runner): void {
    if (this.#ignoredArgs) runner.logger.warning('LoggerHook: file_client_args / backend_args are ignored; segkit writes logs to local files only.');
    if (this.outRoot !== null) {
      this.outDir = join(this.outRoot, basename(runner.workDir.replace(/[/\\]+$/, '')));
      runner.logger.info(`Text logs will be saved to ${this.outDir} after the training process.`);
    }
  }

  override afterTrainIter(runner: Runner, batchIdx: number, _dataBatch: DataBatch, _outputs: Record<string, number>): void {
    const loader = runner.trainDataloader;
    const endOfEpoch = loader !== null && this.endOfEpoch(loader, batchIdx);
    if (this.everyNTrainIters(runner, this.intervalExpName) || endOfEpoch) {
      runner.logger.info(`Exp name: ${runner.expName}`);
    }
    // With ignore_last, an epoch's tail shorter than interval is not logged (unless the whole epoch is).
    const due = this.everyNInnerIters(batchIdx, this.interval)
      || (endOfEpoch && (!this.ignoreLast || loader!.length <= this.interval));
    if (!due) return;
    const { tag, logStr } = runner.logProcessor.getLogAfterIter(runner, batchIdx, 'train');
    runner.logger.info(logStr);
    runner.visualizer.addScalars(tag, runner.iter + 1, this.jsonLogPath(runner));
  }

  override afterValIter(runner: Runner, batchIdx: number): void {
    if (this.everyNInnerIters(batchIdx, this.interval)) runner.logger.info(runner.logProcessor.getLogAfterIter(runner, batchIdx, 'val').logStr);
  }

  override afterTestIter(runner: Runner, batchIdx: number): void {
    if (this.everyNInnerIters(batchIdx, this.interval)) runner.logger.info(runner.logProcessor.getLogAfterIter(runner, batchIdx, 'test').logStr);
  }

  /** Metrics go to the visualizer at step = epoch (log_metric_by_epoch) or iteration; 0 outside training. */
  override afterValEpoch(runner: Runner, _metrics: Metrics): void {
    const { tag, logStr } = runner.logProcessor.getLogAfterEpoch(runner, runner.dataloaderLength('val'), 'val');
    runner.logger.info(logStr);
    const training = runner.trainLoop !== null;
    const step = !training ? 0 : this.logMetricByEpoch ? runner.epoch : runner.iter;
    runner.visualizer.addScalars(tag, step, this.jsonLogPath(runner));
  }

  /** A test run's metrics (non-scalars too) go to `<log_dir>/<timestamp>.json`. */
  override afterTestEpoch(runner: Runner, _metrics: Metrics): void {
    const { tag, logStr } = runner.logProcessor.getLogAfterEpoch(runner, runner.dataloaderLength('test'), 'test', true);
    runner.logger.info(logStr);
    if ((runner.rank ?? 0) !== 0) return;
    mkdirSync(runner.logDir, { recursive: true });
    writeFileSync(join(runner.logDir, this.jsonLogPath(runner)), pythonJsonDumps(jsonFriendly(tag), 'test metrics'));
  }

  /** Closes the visualizer, then copies the log files to out_dir (removing them when keep_local is false). */
  override async afterRun(runner: Runner): Promise<void> {
    await runner.visualizer.close();
    if (this.outDir === null || (runner.rank ?? 0) !== 0) return;
    const files = scanDir(runner.logDir, this.outSuffix);
    for (const file of files) {
      const local = join(runner.logDir, file);
      const target = join(this.outDir, file);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(local, target);
      runner.logger.info(`The file ${local} has been uploaded to ${target}.`);
      if (!this.keepLocal) {
        runner.logger.info(`${local} was removed due to the \`self.keep_local=False\`. You can check the running logs in ${target}`);
      }
    }
    if (!this.keepLocal) {
      // The log file is open for appending: close it before removing it.
      runner.logger.close();
      for (const file of files) rmSync(join(runner.logDir, file), { force: true });
    }
  }
}

HOOKS.register(LoggerHook);
