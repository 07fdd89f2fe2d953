// `segkit lr-schedule CONFIG`: the learning rate a config's param_scheduler gives at each iteration, as a table, JSON or a chart.
import type { Command } from 'commander';
import { basename } from 'node:path';
import { ConfigError, isPlainObject, type KeyPath } from '../engine/config/index.js';
import { buildParamSchedulers, simulateSchedule } from '../engine/optim/scheduler/index.js';
import { pythonNumber } from '../engine/visualization/python-json.js';
import { parsePixels, saveFigure, type SavedChart } from './chart/index.js';
import { loadRunConfig } from './load.js';

/** One scheduler's active window in train iterations (inclusive), for sampling and the summary. */
export interface Phase {
  keyPath: KeyPath;
  type: string;
  first: number;
  last: number;
}

/** What simulateSchedule needs, read from a merged config. */
export interface SchedulePlan {
  loop: 'IterBasedTrainLoop' | 'EpochBasedTrainLoop';
  maxIters: number;
  /** Iterations per epoch (--epoch-length), where the config needs one. */
  epochLength?: number;
  /** param_scheduler as simulateSchedule takes it ([] without one). */
  schedulers: unknown;
  /** Epoch-based schedulers step every this many iterations in the simulation. */
  simEpochLength: number;
  optimizerType: string;
  /** The base param group only: optim_wrapper.optimizer.lr (times auto_scale_lr's ratio when enabled). */
  baseLr: number;
  baseMomentum?: number;
  phases: Phase[];
  notes: string[];
}

const describe = (v: unknown): string => (v === undefined ? 'nothing' : typeof v === 'function' ? `class ${v.name}` : JSON.stringify(v));

function positiveInt(value: unknown, keyPath: KeyPath): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new ConfigError(keyPath, `expected a positive integer, got ${describe(value)}`);
  return value;
}

/** 'IterBasedTrainLoop' / 'EpochBasedTrainLoop' as MMEngine's runner picks it from train_cfg. */
function loopKind(train: Record<string, unknown>): SchedulePlan['loop'] {
  if (train.type === undefined) return train.by_epoch === false ? 'IterBasedTrainLoop' : 'EpochBasedTrainLoop';
  const name = typeof train.type === 'function' ? train.type.name : String(train.type).replace(/^\w+\./, '');
  if (name === 'IterBasedTrainLoop' || name === 'EpochBasedTrainLoop') return name;
  // A custom loop: go by the length it declares.
  if (typeof train.max_iters === 'number' && train.max_epochs === undefined) return 'IterBasedTrainLoop';
  if (typeof train.max_epochs === 'number') return 'EpochBasedTrainLoop';
  throw new ConfigError(['train_cfg', 'type'], `lr-schedule simulates IterBasedTrainLoop and EpochBasedTrainLoop (or a loop with max_iters / max_epochs), got ${describe(train.type)}`);
}

function readOptimizer(cfg: Record<string, unknown>, notes: string[]): { type: string; lr: number; momentum?: number } {
  const wrapper = cfg.optim_wrapper;
  if (!isPlainObject(wrapper)) throw new ConfigError(['optim_wrapper'], `expected an optimizer wrapper config with optimizer.lr, got ${describe(wrapper)}`);
  const optimizer = wrapper.optimizer;
  if (!isPlainObject(optimizer)) {
    const several = Object.values(wrapper).some((v) => isPlainObject(v) && isPlainObject(v.optimizer));
    throw new ConfigError(['optim_wrapper', 'optimizer'], several
      ? 'lr-schedule simulates one optimizer; this config has several (OptimWrapperDict)'
      : `expected an optimizer config such as {type: 'AdamW', lr: 6e-5}, got ${describe(optimizer)}`);
  }
  const { lr, momentum, betas } = optimizer;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new ConfigError(['optim_wrapper', 'optimizer', 'lr'], `expected a number >= 0, got ${describe(lr)}`);
  const type = typeof optimizer.type === 'function' ? optimizer.type.name : String(optimizer.type ?? 'optimizer');
  const paramwise = wrapper.paramwise_cfg;
  // `constructor` is a config key here (MMEngine's optimizer-wrapper constructor), not Object's.
  const ctor: unknown = Object.hasOwn(wrapper, 'constructor') ? wrapper['constructor'] : undefined;
  const constructorName = typeof ctor === 'string' ? ctor : typeof ctor === 'function' ? ctor.name : undefined;
  const customLr = isPlainObject(paramwise) && isPlainObject(paramwise.custom_keys)
    && Object.values(paramwise.custom_keys).some((k) => isPlainObject(k) && k.lr_mult !== undefined);
  const changesLr = customLr || (isPlainObject(paramwise) && paramwise.bias_lr_mult !== undefined)
    || (constructorName !== undefined && !/^(\w+\.)?DefaultOptimWrapperConstructor$/.test(constructorName));
  if (changesLr) {
    notes.push(`lr shown for the base param group (optim_wrapper.optimizer.lr); groups that ${constructorName ?? 'paramwise_cfg'} gives their own lr follow the same schedulers from that lr`);
  }
  const m = typeof momentum === 'number' ? momentum : Array.isArray(betas) && typeof betas[0] === 'number' ? betas[0] : undefined;
  return { type, lr, momentum: m };
}

/** MMEngine's auto_scale_lr: lr x batch_size / base_batch_size when enabled (one process). */
function autoScale(cfg: Record<string, unknown>, notes: string[]): number {
  const auto = cfg.auto_scale_lr;
  if (!isPlainObject(auto) || auto.enable !== true) return 1;
  const base = positiveInt(auto.base_batch_size, ['auto_scale_lr', 'base_batch_size']);
  const loader = cfg.train_dataloader;
  const batch = positiveInt(isPlainObject(loader) ? loader.batch_size : undefined, ['train_dataloader', 'batch_size']);
  notes.push(`auto_scale_lr: lr scaled by ${batch / base} (batch size ${batch}, base_batch_size ${base}, one process)`);
  return batch / base;
}

/** Reads the train loop, optimizer and param_scheduler of a merged config; errors are ConfigErrors with key paths. */
export function planSchedule(cfg: Record<string, unknown>, opts: { epochLength?: number } = {}): SchedulePlan {
  const train = cfg.train_cfg;
  if (!isPlainObject(train)) throw new ConfigError(['train_cfg'], `expected the train loop config with max_iters or max_epochs, got ${describe(train)}`);
  const loop = loopKind(train);
  const notes: string[] = [];
  const optimizer = readOptimizer(cfg, notes);
  const baseLr = optimizer.lr * autoScale(cfg, notes);
  const raw = cfg.param_scheduler ?? [];
  const list = Array.isArray(raw) ? raw : [raw];
  const pathOf = (i: number): KeyPath => (Array.isArray(raw) ? ['param_scheduler', i] : ['param_scheduler']);
  let maxIters: number;
  let simEpochLength: number;
  let schedulers: unknown = raw;
  if (loop === 'EpochBasedTrainLoop') {
    const maxEpochs = positiveInt(train.max_epochs, ['train_cfg', 'max_epochs']);
    if (opts.epochLength === undefined) {
      throw new ConfigError(['train_cfg'], `the train loop is epoch-based (max_epochs: ${maxEpochs}) and an epoch is len(train_dataloader) iterations, which lr-schedule does not build: pass --epoch-length N`);
    }
    maxIters = maxEpochs * opts.epochLength;
    simEpochLength = opts.epochLength;
  } else {
    maxIters = positiveInt(train.max_iters, ['train_cfg', 'max_iters']);
    // IterBasedTrainLoop runs one long epoch: epoch-based schedulers step once, after the last iteration.
    simEpochLength = maxIters;
    const converted = list.map((s, i) => {
      if (!isPlainObject(s)) return s;
      if (s.convert_to_iter_based === true && s.epoch_length === undefined) {
        if (opts.epochLength === undefined) {
          throw new ConfigError([...pathOf(i), 'convert_to_iter_based'], 'converting epochs to iterations needs the epoch length (iterations per epoch of train_dataloader): pass --epoch-length N');
        }
        return { ...s, epoch_length: opts.epochLength };
      }
      if (s.by_epoch !== false && s.convert_to_iter_based !== true) {
        notes.push(`${pathOf(i).join('.')} (${typeof s.type === 'string' ? s.type : describe(s.type)}) is epoch-based (by_epoch ${s.by_epoch === undefined ? 'defaults to true' : 'is true'}) in an iter-based loop: `
          + 'MMEngine steps it only after the last iteration, so it keeps its first value during training');
      }
      return s;
    });
    schedulers = Array.isArray(raw) ? converted : converted[0];
  }
  const probe = { paramGroups: [optimizer.momentum === undefined ? { lr: baseLr } : { lr: baseLr, momentum: optimizer.momentum }] as Record<string, unknown>[] };
  const maxEpochs = Math.ceil(maxIters / simEpochLength);
  const built = Array.isArray(raw) && raw.length === 0 ? [] : buildParamSchedulers(schedulers, probe, { epochLength: simEpochLength, maxIters, maxEpochs });
  const phases: Phase[] = [];
  built.forEach((s, i) => {
    if (s.byEpoch && loop === 'IterBasedTrainLoop') return;
    const unit = s.byEpoch ? simEpochLength : 1;
    const first = s.begin * unit;
    const last = Math.min(s.end * unit, maxIters) - 1;
    if (first <= last) phases.push({ keyPath: pathOf(i), type: s.constructor.name, first, last });
  });
  if (built.length === 0) notes.push('no param_scheduler: the lr stays at the base lr');
  return { loop, maxIters, epochLength: opts.epochLength, schedulers, simEpochLength, optimizerType: optimizer.type, baseLr, baseMomentum: optimizer.momentum, phases, notes };
}

/** 0, 1, the first and last iteration of every phase, the quarters and the last iteration. */
export function defaultIters(plan: SchedulePlan): number[] {
  const m = plan.maxIters;
  const iters = [0, 1, m - 1, Math.round(m / 4), Math.round(m / 2), Math.round((3 * m) / 4), ...plan.phases.flatMap((p) => [p.first, p.last])];
  return [...new Set(iters)].filter((i) => i >= 0 && i < m).sort((a, b) => a - b);
}

/** Iterations for the chart: evenly spread, plus both sides of every phase and epoch boundary so that jumps stay sharp. */
export function curveIters(plan: SchedulePlan, points = 2000): number[] {
  const m = plan.maxIters;
  const iters = new Set<number>();
  const n = Math.min(m, points);
  for (let k = 0; k < n; k++) iters.add(n === 1 ? 0 : Math.round((k * (m - 1)) / (n - 1)));
  for (const p of plan.phases) for (const i of [p.first - 1, p.first, p.first + 1, p.last, p.last + 1]) iters.add(i);
  if (plan.loop === 'EpochBasedTrainLoop' && m / plan.simEpochLength <= 1000) {
    for (let e = plan.simEpochLength; e < m; e += plan.simEpochLength) iters.add(e - 1).add(e);
  }
  return [...iters].filter((i) => i >= 0 && i < m).sort((a, b) => a - b);
}

/** lr[g][k] for the plan at `iters` (g: param group; only the base group here). */
export function simulatePlan(plan: SchedulePlan, iters: number[]): number[][] {
  return simulateSchedule(plan.schedulers, {
    baseLrs: [plan.baseLr],
    baseMomentums: plan.baseMomentum === undefined ? undefined : [plan.baseMomentum],
    iters,
    maxIters: plan.maxIters,
    epochLength: plan.simEpochLength,
  });
}

export interface LrScheduleOptions {
  /** Comma-separated iterations, e.g. '0,1,10'. */
  iters?: string;
  json?: boolean;
  out?: string;
  epochLength?: string;
  cfgOptions?: string[];
  title?: string;
  width?: string;
  height?: string;
  logY?: boolean;
}

export interface LrScheduleResult {
  iters: number[];
  /** lr[g][k]: group g at iters[k]. */
  lr: number[][];
  chart?: SavedChart;
}

function parseIters(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new Error(`--iters: expected comma-separated iterations such as 0,1,10, got '${text}'`);
  return parts.map((s) => {
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new Error(`--iters: expected integers >= 0, got '${s}'`);
    return Number(s);
  });
}

/** '4.008664e-08': printf's %e, as Python prints lr tables. */
const sci = (x: number): string => x.toExponential(6).replace(/e([+-])(\d)$/, 'e$10$2');

/** The table: a summary of the schedule, then one row per iteration. */
function formatTable(file: string, plan: SchedulePlan, iters: number[], lr: number[][]): string[] {
  const lines = [`lr schedule of ${file}: ${plan.optimizerType}, base lr ${pythonNumber(plan.baseLr)}, ${plan.maxIters} iterations (${plan.loop}${plan.loop === 'EpochBasedTrainLoop' ? `, ${plan.epochLength} per epoch` : ''})`];
  const width = Math.max(0, ...plan.phases.map((p) => p.type.length));
  for (const p of plan.phases) lines.push(`  ${p.keyPath.join('.')}  ${p.type.padEnd(width)}  iters ${p.first}..${p.last}`);
  const iterWidth = Math.max(4, ...iters.map((i) => String(i).length));
  lines.push('', `  ${'iter'.padStart(iterWidth)}  lr`);
  iters.forEach((it, k) => lines.push(`  ${String(it).padStart(iterWidth)}  ${lr.map((g) => sci(g[k]!)).join('  ')}`));
  return lines;
}

/** `{"<iter>": [lr per group]}`, one iteration per line; numbers as Python's json writes them (6e-05, not 0.00006). */
export function formatJson(iters: number[], lr: number[][]): string {
  const rows = iters.map((it, k) => `  "${it}": [${lr.map((g) => pythonNumber(g[k]!)).join(', ')}]`);
  return `{\n${rows.join(',\n')}\n}`;
}

export async function lrSchedule(file: string, opts: LrScheduleOptions, print: (line: string) => void = console.log, warn: (line: string) => void = console.error): Promise<LrScheduleResult> {
  const epochLength = opts.epochLength === undefined ? undefined : Number(opts.epochLength);
  if (epochLength !== undefined && !(/^\d+$/.test(opts.epochLength!) && Number.isSafeInteger(epochLength) && epochLength > 0)) {
    throw new Error(`--epoch-length: expected a positive integer (iterations per epoch), got '${opts.epochLength}'`);
  }
  const width = parsePixels(opts.width, '--width');
  const height = parsePixels(opts.height, '--height');
  const requested = opts.iters === undefined ? undefined : parseIters(opts.iters);
  const cfg = await loadRunConfig(file, { cfgOptions: opts.cfgOptions });
  let plan: SchedulePlan;
  let iters: number[];
  let all: number[][];
  let curve: number[] = [];
  try {
    plan = planSchedule(cfg.dict as Record<string, unknown>, { epochLength });
    iters = requested ?? defaultIters(plan);
    if (opts.out !== undefined) curve = curveIters(plan);
    // One simulation for the table and the chart: long schedules take a while to step through.
    const union = [...new Set([...iters, ...curve])].sort((a, b) => a - b);
    const lr = simulatePlan(plan, union);
    const at = new Map(union.map((it, k) => [it, k]));
    all = lr.map((g) => iters.map((it) => g[at.get(it)!]!));
    curve = curve.filter((it) => at.has(it));
    const curveLr = lr.map((g) => curve.map((it) => g[at.get(it)!]!));
    for (const note of plan.notes) warn(`note: ${note}`);
    if (opts.json) print(formatJson(iters, all));
    else for (const line of formatTable(file, plan, iters, all)) print(line);
    if (opts.out === undefined) return { iters, lr: all };
    const chart = await saveFigure({
      title: opts.title ?? `lr schedule: ${basename(file)}`,
      width,
      height,
      panels: [{ xLabel: 'iter', yLabel: 'lr', logY: opts.logY, series: [{ label: `lr (${plan.optimizerType}, base lr ${pythonNumber(plan.baseLr)})`, x: curve, y: curveLr[0]! }] }],
    }, opts.out);
    warn(`saved ${chart.file} (${chart.width}x${chart.height} ${chart.format.toUpperCase()}, ${curve.length} points)`);
    return { iters, lr: all, chart };
  } catch (err) {
    throw cfg.locate(err);
  }
}

export function registerLrSchedule(program: Command): void {
  program
    .command('lr-schedule')
    .description("print the learning rate a config's param_scheduler gives per iteration (table or JSON) and draw the curve")
    .argument('<config>', 'config file')
    .option('--iters <i,j,...>', 'iterations to print, 0-based (the log line "iter: N" trained at iteration N-1); default: 0, 1, each scheduler\'s first and last iteration, the quarters, max_iters - 1')
    .option('--json', 'print {"<iter>": [lr per param group]} (the base group)')
    .option('--out <file>', 'draw the whole curve to a .png or .svg file')
    .option('--epoch-length <n>', 'iterations per epoch (len(train_dataloader)): needed for epoch-based loops and convert_to_iter_based')
    .option('--cfg-options <key=value...>', 'override a config value (repeatable)')
    .option('--title <text>', 'chart title (default: lr schedule: <config>)')
    .option('--width <px>', 'chart width in pixels (default 900)')
    .option('--height <px>', 'chart height in pixels (default 320)')
    .option('--log-y', 'logarithmic lr axis (an lr of 0 is left out)')
    .action(async (file: string, opts: LrScheduleOptions) => {
      await lrSchedule(file, opts);
    });
}
