// `segkit plot-logs`: loss/lr/metric curves from MMEngine-style scalars.json files (MMSeg's analyze_logs plot_curve).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { PALETTE, parsePixels, saveFigure, type Panel, type SavedChart } from './chart/index.js';

/** One line of a scalars.json file: `step` plus the scalars logged at that step. */
export interface ScalarRecord {
  line: number;
  step: number;
  values: Record<string, unknown>;
}

export interface ScalarLog {
  file: string;
  records: ScalarRecord[];
}

// Python's json.dump writes NaN / Infinity / -Infinity as bare tokens (allow_nan), which JSON.parse rejects.
const PY_TOKENS = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;
// Swapped for strings starting with NUL (which no real key or value holds), then swapped back.
const PY_VALUES = new Map([['\u0000NaN', NaN], ['\u0000Infinity', Infinity], ['\u0000-Infinity', -Infinity]]);

function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const swapped = text.replace(PY_TOKENS, (m) => (m.startsWith('"') ? m : `"\\u0000${m}"`));
    if (swapped === text) throw err;
    return JSON.parse(swapped, (_k, v: unknown) => (typeof v === 'string' && PY_VALUES.has(v) ? PY_VALUES.get(v) : v));
  }
}

/** Reads a scalars.json file (one JSON object with a numeric `step` per line); errors name the file and line. */
export function readScalarLog(file: string): ScalarLog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the log (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const records: ScalarRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = parsePythonJson(raw);
    } catch (err) {
      throw new Error(`${file}:${line}: not a JSON line (${(err as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`${file}:${line}: expected a JSON object such as {"loss": 0.5, "step": 10}, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
    }
    const { step, ...values } = value as Record<string, unknown>;
    if (typeof step !== 'number' || !Number.isFinite(step)) {
      throw new Error(`${file}:${line}: expected a numeric "step", got ${step === undefined ? 'none' : JSON.stringify(step)}`);
    }
    records.push({ line, step, values });
  });
  if (records.length === 0) throw new Error(`${file}: no scalar records (the file is empty)`);
  return { file, records };
}

export interface Curve {
  steps: number[];
  values: number[];
  /** 'iter' when every record of the key carries iter == step (train lines), else 'step'. */
  xLabel: 'iter' | 'step';
}

/** The key's values against step, sorted by step; null and NaN stay in as gaps. Null when the log lacks the key. */
export function extractCurve(log: ScalarLog, key: string): Curve | null {
  const points: [number, number][] = [];
  let byIter = true;
  for (const r of log.records) {
    if (!(key in r.values)) continue;
    const v = r.values[key];
    if (v !== null && typeof v !== 'number') {
      throw new Error(`${log.file}:${r.line}: "${key}" should be a number, got ${JSON.stringify(v)}`);
    }
    points.push([r.step, v ?? NaN]);
    if (r.values.iter !== r.step) byIter = false;
  }
  if (points.length === 0) return null;
  points.sort((a, b) => a[0] - b[0]);
  return { steps: points.map((p) => p[0]), values: points.map((p) => p[1]), xLabel: byIter ? 'iter' : 'step' };
}

/** Keys that can be plotted: numeric in at least one record, in first-seen order ('step' itself excluded). */
export function numericKeys(logs: readonly ScalarLog[]): string[] {
  const keys = new Set<string>();
  for (const log of logs) for (const r of log.records) for (const [k, v] of Object.entries(r.values)) if (typeof v === 'number') keys.add(k);
  return [...keys];
}

/**
 * Legend names that tell the files apart: the path components they do not share (all files are
 * usually `.../<timestamp>/vis_data/scalars.json`); one file is named by its relative path.
 */
export function defaultRunNames(files: readonly string[]): string[] {
  const parts = files.map((f) => relative(process.cwd(), f).split(sep));
  if (files.length === 1) return [parts[0]!.join('/')];
  let head = 0;
  while (parts.every((p) => head < p.length - 1 && p[head] === parts[0]![head])) head += 1;
  let tail = 0;
  while (parts.every((p) => tail < p.length - head - 1 && p[p.length - 1 - tail] === parts[0]![parts[0]!.length - 1 - tail])) tail += 1;
  const names = parts.map((p) => p.slice(head, p.length - tail).join('/'));
  return new Set(names).size === names.length ? names : files.map((f, i) => `${i + 1}: ${f}`);
}

const splitList = (text: string | undefined): string[] | undefined =>
  text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** The keys plotted when --keys is not given: those of loss, lr and mIoU that some file has. */
const DEFAULT_KEYS = ['loss', 'lr', 'mIoU'];

export interface PlotLogsOptions {
  /** Comma-separated keys, e.g. 'loss,lr,mIoU'. */
  keys?: string;
  out?: string;
  title?: string;
  /** Comma-separated run names, one per file. */
  legend?: string;
  width?: string;
  height?: string;
  logY?: boolean;
}

function missingKeyError(key: string, available: string[]): Error {
  const near = available.find((k) => k.toLowerCase() === key.toLowerCase());
  return new Error(`--keys: '${key}' is in none of the logs${near ? ` (did you mean '${near}'?)` : ''}; keys found: ${available.join(', ') || 'none'}`);
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(4) : String(Number(v.toPrecision(5))));

function summarise(run: string, key: string, curve: Curve): string {
  const finite = curve.steps.map((s, k) => [s, curve.values[k]!] as const).filter(([, v]) => Number.isFinite(v));
  if (finite.length === 0) return `  ${run}  ${key}: ${curve.steps.length} points, none finite`;
  const [minAt, min] = finite.reduce((a, b) => (b[1] < a[1] ? b : a));
  const [maxAt, max] = finite.reduce((a, b) => (b[1] > a[1] ? b : a));
  const last = finite[finite.length - 1]!;
  return `  ${run}  ${key}: ${curve.steps.length} points, ${curve.xLabel} ${curve.steps[0]}..${curve.steps[curve.steps.length - 1]}, `
    + `last ${fmt(last[1])}, min ${fmt(min)} at ${minAt}, max ${fmt(max)} at ${maxAt}`;
}

/** Reads the logs, draws one panel per key (one line per file) and writes the chart. */
export async function plotLogs(files: readonly string[], opts: PlotLogsOptions, print: (line: string) => void = console.log): Promise<SavedChart> {
  if (files.length === 0) throw new Error('plot-logs: expected at least one scalars.json file');
  const legend = splitList(opts.legend);
  if (legend && legend.length !== files.length) {
    throw new Error(`--legend: expected ${files.length} name${files.length > 1 ? 's' : ''} (one per log file), got ${legend.length}: ${legend.join(', ')}`);
  }
  const width = parsePixels(opts.width, '--width');
  const height = parsePixels(opts.height, '--height');
  const logs = files.map(readScalarLog);
  const available = numericKeys(logs);
  let keys = splitList(opts.keys);
  if (keys?.length === 0) throw new Error(`--keys: expected comma-separated key names, got '${opts.keys}'`);
  if (keys) {
    for (const key of keys) if (!available.includes(key)) throw missingKeyError(key, available);
  } else {
    keys = DEFAULT_KEYS.filter((k) => available.includes(k));
    if (keys.length === 0) throw new Error(`none of ${DEFAULT_KEYS.join(', ')} is in the logs; choose with --keys from: ${available.join(', ') || 'none'}`);
  }
  const runs = legend ?? defaultRunNames(files);
  const panels: Panel[] = keys.map((key) => {
    const curves = logs.map((log) => extractCurve(log, key));
    curves.forEach((c, i) => {
      if (c === null) print(`note: ${files[i]} has no '${key}'`);
      else print(summarise(runs[i]!, key, c));
      if (c && c.steps.length > 1 && c.steps[0] === c.steps[c.steps.length - 1]) {
        print(`note: all ${c.steps.length} '${key}' values of ${files[i]} are at step ${c.steps[0]}; an iter-based run logs validation `
          + 'at its epoch (0) unless LoggerHook has log_metric_by_epoch: false');
      }
    });
    const present = curves.flatMap((c, i) => (c ? [{ c, i }] : []));
    return {
      title: key,
      xLabel: present.every(({ c }) => c.xLabel === 'iter') ? 'iter' : 'step',
      logY: opts.logY,
      // A run keeps its colour in every panel, even where another run lacks the key.
      series: present.map(({ c, i }) => ({ label: runs[i]!, x: c.steps, y: c.values, color: PALETTE[i % PALETTE.length] })),
    };
  });
  const saved = await saveFigure({ title: opts.title, width, height, panels }, opts.out ?? 'curves.png');
  print(`saved ${saved.file} (${saved.width}x${saved.height} ${saved.format.toUpperCase()}: ${keys.join(', ')})`);
  return saved;
}

export function registerPlotLogs(program: Command): void {
  program
    .command('plot-logs')
    .description("draw loss / lr / metric curves from scalars.json logs to PNG or SVG (MMSeg's analyze_logs plot_curve)")
    .argument('<logs...>', 'scalars.json files (work_dir/<timestamp>/vis_data/scalars.json); several files are several runs')
    .option('--keys <k1,k2>', `keys to plot, one panel each (default: those of ${DEFAULT_KEYS.join(', ')} present)`)
    .option('--out <file>', 'output image, .png or .svg', 'curves.png')
    .option('--title <text>', 'figure title')
    .option('--legend <n1,n2>', 'run names for the legend, one per file (default: the parts of the paths that differ)')
    .option('--width <px>', 'image width in pixels (default 900)')
    .option('--height <px>', 'image height in pixels (default 40 + 280 per key)')
    .option('--log-y', 'logarithmic y axes (values <= 0 are left out)')
    .action(async (logs: string[], opts: PlotLogsOptions) => {
      await plotLogs(logs, opts);
    });
}
