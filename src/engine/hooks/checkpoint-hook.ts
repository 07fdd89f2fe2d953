// CheckpointHook: saves checkpoints every `interval` epochs or iterations (and at the end), keeps the
// newest max_keep_ckpts, tracks the best checkpoint per save_best metric, and writes last_checkpoint,
// as MMEngine's. Its bookkeeping lives in the message hub and in its own state dict (for resume).
import { existsSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseOptions } from '../config/errors.js';
import { formatFixed } from '../logging/py-format.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { CHECKPOINT_SUFFIX, saveCheckpoint, writeLastCheckpoint } from '../runner/checkpoint.js';
import type { DataBatch } from '../model/base-model.js';
import { Hook, type Metrics } from './hook.js';
import { DEFAULT_GREATER_KEYS, DEFAULT_LESS_KEYS, inferRule, isBetter, metricNumber, worstValue, type Rule } from './metric-rule.js';

const rule = z.enum(['greater', 'less']);
const names = z.union([z.string(), z.array(z.string())]);

export const checkpointHookSchema = z.object({
  /** Save every `interval` epochs (by_epoch) or iterations; -1 never (save_last still saves at the end). */
  interval: z.number().int().default(-1),
  by_epoch: z.boolean().default(true),
  save_optimizer: z.boolean().default(true),
  save_param_scheduler: z.boolean().default(true),
  /** Defaults to work_dir; another directory gets the work dir's name appended. */
  out_dir: z.string().nullable().default(null),
  /** Keep only this many newest interval checkpoints; -1 keeps all. */
  max_keep_ckpts: z.number().int().default(-1),
  /** Save at the last epoch/iteration whatever the interval. */
  save_last: z.boolean().default(true),
  /** Metric key(s) whose best value keeps a `best_<key>_...` checkpoint; 'auto' takes the first metric. */
  save_best: names.nullable().default(null),
  /** One rule for all save_best keys or one per key; null infers it from the key. */
  rule: z.union([rule, z.array(rule)]).nullable().default(null),
  /** Keys inferred as 'greater' / 'less' (substring match, case-insensitive); null uses MMEngine's lists. */
  greater_keys: names.nullable().default(null),
  less_keys: names.nullable().default(null),
  /** Must hold exactly one `{}`, replaced by the epoch or iteration. Default `epoch_{}.ckpt` / `iter_{}.ckpt`. */
  filename_tmpl: z.string().nullable().default(null),
  /** The first epoch/iteration counted by `interval`. */
  save_begin: z.number().int().nonnegative().default(0),
  /** Accepted for MMEngine configs and ignored: segkit writes local files and publishes nothing. */
  published_keys: names.nullable().default(null),
  file_client_args: z.record(z.string(), z.unknown()).nullable().default(null),
  backend_args: z.record(z.string(), z.unknown()).nullable().default(null),
}).strict();

export type CheckpointHookOptions = z.input<typeof checkpointHookSchema>;

const asList = (v: string | string[] | null): string[] | null => (v === null ? null : typeof v === 'string' ? [v] : v);

export class CheckpointHook extends Hook {
  static override priority = 'VERY_LOW';
  readonly interval: number;
  readonly byEpoch: boolean;
  readonly saveOptimizer: boolean;
  readonly saveParamScheduler: boolean;
  readonly maxKeepCkpts: number;
  readonly saveLast: boolean;
  readonly saveBegin: number;
  readonly filenameTmpl: string;
  readonly greaterKeys: readonly string[];
  readonly lessKeys: readonly string[];
  /** save_best as a list (null when no best checkpoint is kept). */
  readonly saveBest: string[] | null;
  /** The save_best keys; 'auto' becomes the first metric's name at the first validation. */
  keyIndicators: string[] = [];
  /** One per key indicator; null only for an 'auto' key whose rule is inferred later. */
  rules: (Rule | null)[] = [];
  /** Where checkpoints go, fixed at beforeTrain. */
  outDir: string | null = null;
  /** The newest checkpoint saved by this run (MMEngine's last_ckpt). */
  lastCkpt: string | null = null;
  /** Steps of the interval checkpoints still on disk, oldest first. */
  keepCkptIds: number[] = [];
  readonly #outRoot: string | null;
  readonly #ruleOf = new Map<string, Rule>();
  /** Best checkpoint path by runtime-info key ('best_ckpt' or 'best_ckpt_<key>'). */
  readonly #bestCkpt = new Map<string, string | null>();
  /** The runtime info this hook owns (best scores and paths, keep_ckpt_ids, last_ckpt): its state dict. */
  #info: Record<string, unknown> = {};
  readonly #ignored: string[] = [];

  constructor(options: unknown = {}) {
    super();
    const o = parseOptions(checkpointHookSchema, options);
    this.interval = o.interval;
    this.byEpoch = o.by_epoch;
    this.saveOptimizer = o.save_optimizer;
    this.saveParamScheduler = o.save_param_scheduler;
    this.#outRoot = o.out_dir;
    this.maxKeepCkpts = o.max_keep_ckpts;
    this.saveLast = o.save_last;
    this.saveBegin = o.save_begin;
    this.filenameTmpl = o.filename_tmpl ?? `${o.by_epoch ? 'epoch' : 'iter'}_{}${CHECKPOINT_SUFFIX}`;
    if (this.filenameTmpl.split('{}').length !== 2 || /\{(?!\})|(?<!\{)\}/.test(this.filenameTmpl)) {
      throw new ConfigError(['filename_tmpl'], `expected exactly one '{}' (replaced by the epoch or iteration), got '${this.filenameTmpl}'`);
    }
    this.greaterKeys = asList(o.greater_keys) ?? DEFAULT_GREATER_KEYS;
    this.lessKeys = asList(o.less_keys) ?? DEFAULT_LESS_KEYS;

    this.saveBest = asList(o.save_best);
    if (this.saveBest !== null) {
      if (this.saveBest.includes('auto') && this.saveBest.length !== 1) {
        throw new ConfigError(['save_best'], `'auto' must be the only entry, got [${this.saveBest.join(', ')}]`);
      }
      const dup = this.saveBest.find((k, i) => this.saveBest!.indexOf(k) !== i);
      if (dup !== undefined) throw new ConfigError(['save_best'], `'${dup}' is listed twice`);
    }
    const rules: (Rule | null)[] = Array.isArray(o.rule) ? o.rule : [o.rule];
    if (Array.isArray(o.rule)) {
      if (this.saveBest === null) throw new ConfigError(['rule'], 'a list of rules needs save_best (one rule per save_best key)');
      if (rules.length !== 1 && rules.length !== this.saveBest.length) {
        throw new ConfigError(['rule'], `expected 1 rule or one per save_best key (${this.saveBest.length}), got ${rules.length}`);
      }
    }
    if (this.saveBest !== null) this.#initRules(rules, this.saveBest);

    if (o.published_keys !== null) this.#ignored.push('published_keys');
    if (o.file_client_args !== null) this.#ignored.push('file_client_args');
    if (o.backend_args !== null) this.#ignored.push('backend_args');
  }

  /** MMEngine's _init_rule: one rule for all keys or one each; a missing rule is inferred from the key. */
  #initRules(rules: (Rule | null)[], keys: string[]): void {
    const perKey = rules.length === 1 ? keys.map(() => rules[0]!) : rules;
    this.rules = keys.map((key, i) => {
      let r = perKey[i] ?? null;
      if (r === null && key !== 'auto') {
        r = inferRule(key, this.greaterKeys, this.lessKeys);
        if (r === null) {
          throw new ConfigError(['rule'], `cannot infer the rule for save_best key '${key}' (it matches no greater_keys or less_keys); set rule: 'greater' or 'less'`);
        }
      }
      if (r !== null) this.#ruleOf.set(key, r);
      return r;
    });
    this.keyIndicators = keys;
  }

  /** Runtime-info names of a key's best score and path: plain with one key, suffixed with several. */
  #infoKeys(key: string): { score: string; ckpt: string } {
    return this.keyIndicators.length === 1 ? { score: 'best_score', ckpt: 'best_ckpt' } : { score: `best_score_${key}`, ckpt: `best_ckpt_${key}` };
  }

  #updateInfo(runner: Runner, key: string, value: unknown): void {
    runner.messageHub.updateInfo(key, value);
    this.#info[key] = structuredClone(value);
  }

  #filename(step: number): string {
    return this.filenameTmpl.replace('{}', String(step));
  }

  #remove(path: string): boolean {
    if (!existsSync(path)) return false;
    rmSync(path, { recursive: true, force: true });
    return true;
  }

  /**
   * Fixes out_dir, restores the best paths and the kept checkpoints from the message hub (or from
   * this hook's loaded state where the hub lacks them), and trims kept checkpoints to max_keep_ckpts.
   */
  override beforeTrain(runner: Runner): void {
    for (const key of this.#ignored) runner.logger.warning(`CheckpointHook: ${key} is ignored (segkit saves local checkpoints and publishes none).`);
    const outDir = this.#outRoot ?? runner.workDir;
    this.outDir = resolve(outDir) === resolve(runner.workDir) ? outDir : join(outDir, basename(runner.workDir.replace(/[/\\]+$/, '')));
    runner.logger.info(`Checkpoints will be saved to ${this.outDir}.`);

    const hub = runner.messageHub;
    for (const [key, value] of Object.entries(this.#info)) {
      if (!hub.runtimeInfo.has(key)) hub.updateInfo(key, structuredClone(value));
    }
    if (this.saveBest !== null) {
      for (const key of this.keyIndicators) {
        const { ckpt } = this.#infoKeys(key);
        this.#bestCkpt.set(ckpt, (hub.getInfo<string>(ckpt) ?? null));
      }
    }
    if (this.maxKeepCkpts > 0) {
      const kept = [...(hub.getInfo<number[]>('keep_ckpt_ids') ?? [])];
      while (kept.length > this.maxKeepCkpts) this.#remove(join(this.outDir, this.#filename(kept.shift()!)));
      this.keepCkptIds = kept;
    }
  }

  override afterTrainEpoch(runner: Runner): void | Promise<void> {
    if (!this.byEpoch) return;
    if (this.everyNEpochs(runner, this.interval, this.saveBegin) || (this.saveLast && this.isLastTrainEpoch(runner))) {
      runner.logger.info(`Saving checkpoint at ${runner.epoch + 1} epochs`);
      return this.#saveCheckpoint(runner);
    }
  }

  override afterTrainIter(runner: Runner, _batchIdx: number, _dataBatch: DataBatch, _outputs: Record<string, number>): void | Promise<void> {
    if (this.byEpoch) return;
    if (this.everyNTrainIters(runner, this.interval, this.saveBegin) || (this.saveLast && this.isLastTrainIter(runner))) {
      runner.logger.info(`Saving checkpoint at ${runner.iter + 1} iterations`);
      return this.#saveCheckpoint(runner);
    }
  }

  override async afterValEpoch(runner: Runner, metrics: Metrics): Promise<void> {
    // A standalone validation (no train loop) has no training checkpoint to keep.
    if (runner.trainLoop === null) return;
    if (Object.keys(metrics).length === 0) {
      runner.logger.warning('Since `metrics` is an empty dict, the behavior to save the best checkpoint will be skipped in this evaluation.');
      return;
    }
    await this.#saveBestCheckpoint(runner, metrics);
  }

  /** The interval/last checkpoint: step is epoch + 1 or iter + 1 (the loops count after the hooks). */
  #saveCheckpoint(runner: Runner): Promise<void> {
    if (this.byEpoch) return this.#saveCheckpointWithStep(runner, runner.epoch + 1, { epoch: runner.epoch + 1, iter: runner.iter });
    return this.#saveCheckpointWithStep(runner, runner.iter + 1, { epoch: runner.epoch, iter: runner.iter + 1 });
  }

  async #saveCheckpointWithStep(runner: Runner, step: number, meta: Record<string, unknown>): Promise<void> {
    const outDir = this.#requireOutDir();
    if (this.maxKeepCkpts > 0 && this.keepCkptIds.at(-1) !== step) {
      if (this.keepCkptIds.length >= this.maxKeepCkpts) this.#remove(join(outDir, this.#filename(this.keepCkptIds.shift()!)));
      this.keepCkptIds.push(step);
      this.#updateInfo(runner, 'keep_ckpt_ids', [...this.keepCkptIds]);
    }
    const filename = this.#filename(step);
    this.lastCkpt = join(outDir, filename);
    this.#updateInfo(runner, 'last_ckpt', this.lastCkpt);
    await saveCheckpoint(runner, outDir, filename, {
      saveOptimizer: this.saveOptimizer, saveParamScheduler: this.saveParamScheduler, meta, byEpoch: this.byEpoch,
    });
    writeLastCheckpoint(runner.workDir, this.lastCkpt);
  }

  /**
   * For each save_best key whose score beats the best so far: record the score, replace the previous
   * best file with `best_<key>_<epoch|iter>_<n>.ckpt`. When any improved and an interval checkpoint
   * exists, that checkpoint is saved again so it carries the new best score.
   */
  async #saveBestCheckpoint(runner: Runner, metrics: Metrics): Promise<void> {
    if (this.saveBest === null) return;
    const outDir = this.#requireOutDir();
    const [curType, curTime] = this.byEpoch ? ['epoch', runner.epoch] as const : ['iter', runner.iter] as const;
    const ckptFilename = this.#filename(curTime);
    const meta = { epoch: runner.epoch, iter: runner.iter };
    if (this.keyIndicators.includes('auto')) this.#resolveAuto(Object.keys(metrics)[0]!);

    let updated = false;
    for (const key of this.keyIndicators) {
      if (!(key in metrics)) {
        throw new Error(`CheckpointHook: save_best key '${key}' is not in the validation metrics (${Object.keys(metrics).map((k) => `'${k}'`).join(', ')})`);
      }
      const raw = metrics[key];
      if (raw === null || raw === undefined) continue;
      const score = metricNumber(raw, `CheckpointHook: metric '${key}'`);
      const rule = this.#ruleOf.get(key)!;
      const names = this.#infoKeys(key);
      const best = runner.messageHub.getInfo<number>(names.score) ?? worstValue(rule);
      if (!isBetter(rule, score, best)) continue;
      updated = true;
      this.#updateInfo(runner, names.score, score);
      const previous = this.#bestCkpt.get(names.ckpt) ?? null;
      if (previous && this.#remove(previous)) runner.logger.info(`The previous best checkpoint ${previous} is removed`);
      const bestName = `best_${key}_${ckptFilename}`.replaceAll('/', '_');
      const bestPath = join(outDir, bestName);
      this.#bestCkpt.set(names.ckpt, bestPath);
      this.#updateInfo(runner, names.ckpt, bestPath);
      await saveCheckpoint(runner, outDir, bestName, { saveOptimizer: false, saveParamScheduler: false, meta, byEpoch: false });
      runner.logger.info(`The best checkpoint with ${formatFixed(score, 4)} ${key} at ${curTime} ${curType} is saved to ${bestName}.`);
    }
    if (updated && this.lastCkpt !== null) await this.#saveCheckpointWithStep(runner, curTime, meta);
  }

  /** 'auto' becomes the first metric, its rule inferred unless one was given. */
  #resolveAuto(firstMetric: string): void {
    try {
      this.#initRules(this.rules, [firstMetric]);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new ConfigError(['save_best'], `'auto' picked the first metric '${firstMetric}', whose rule cannot be inferred; set rule: 'greater' or 'less'`);
    }
  }

  #requireOutDir(): string {
    if (this.outDir === null) throw new Error('CheckpointHook: beforeTrain has not run, so out_dir is not resolved yet');
    return this.outDir;
  }

  /** Best scores and paths, keep_ckpt_ids and last_ckpt, under their runtime-info names. */
  override stateDict(): Record<string, unknown> {
    return structuredClone(this.#info);
  }

  override loadStateDict(state: unknown): void {
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new TypeError(`CheckpointHook.loadStateDict: expected an object of runtime info, got ${JSON.stringify(state)}`);
    }
    this.#info = structuredClone(state as Record<string, unknown>);
  }
}

HOOKS.register(CheckpointHook);
