// ProgressBarHook: a progress bar for val/test loops on a terminal, plain `[val] 10/50` lines otherwise.
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import type { DataBatch } from '../model/base-model.js';
import { Hook, type Metrics } from './hook.js';

export const progressBarHookSchema = z.object({
  /** true draws a bar, false prints plain lines; null decides by whether the stream is a terminal. */
  tty: z.boolean().nullable().default(null),
  /** Plain-line mode: print every `interval` iterations (and the last); null prints about ten lines per loop. */
  interval: z.number().int().positive().nullable().default(null),
  /** Bar mode: redraws per second at most. */
  fps: z.number().positive().default(10),
  /** Bar mode: width of the bar in characters; null fits the line to the terminal's width (10..40). */
  bar_size: z.number().int().positive().nullable().default(null),
}).strict();

export type ProgressBarHookOptions = z.input<typeof progressBarHookSchema>;

/** What the hook writes to: process.stderr by default, a fake in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Streams whose writes must not land on the bar's line (stdout/stderr when they are terminals). */
export interface InterceptableStream {
  write: (...args: never[]) => boolean;
  isTTY?: boolean;
}

export interface ProgressBarHookIO {
  stream?: ProgressStream;
  /** While a bar is drawn, writes to these clear the bar first and redraw it after; default: stdout and stderr if terminals. */
  interceptStreams?: InterceptableStream[];
}

type EvalMode = 'val' | 'test';

/** Plain-line mode without a known loop length prints every this many iterations. */
const PLAIN_INTERVAL_UNKNOWN_LENGTH = 50;

/**
 * Priority BELOW_NORMAL, as LoggerHook: it only reports, so it runs after the NORMAL hooks that
 * do an iteration's work (its count covers them) and, registered after LoggerHook, it redraws
 * after the iteration's log line. While a bar is on screen, terminal writes from anything else
 * (the logger's lines, console.log) first clear the bar's line and redraw it afterwards, so log
 * lines and the bar never share a line. Training iterations draw nothing.
 */
export class ProgressBarHook extends Hook {
  static override priority: number | string = 'BELOW_NORMAL';
  readonly tty: boolean | null;
  readonly interval: number | null;
  readonly fps: number;
  readonly barSize: number | null;
  readonly #stream: ProgressStream;
  readonly #intercept: InterceptableStream[];

  #bar: { multi: cliProgress.MultiBar; bar: cliProgress.SingleBar; restore: () => void } | null = null;
  #mode: EvalMode = 'val';
  #total = 0;
  #done = 0;
  #lastPrinted = 0;
  #startMs = 0;

  constructor(options: unknown = {}, io: ProgressBarHookIO = {}) {
    super();
    const o = parseOptions(progressBarHookSchema, options);
    this.tty = o.tty;
    this.interval = o.interval;
    this.fps = o.fps;
    this.barSize = o.bar_size;
    this.#stream = io.stream ?? process.stderr;
    this.#intercept = io.interceptStreams
      ?? [process.stdout, process.stderr].filter((s) => s.isTTY) as unknown as InterceptableStream[];
  }

  /** Whether this loop draws a bar (a terminal, or `tty: true`) rather than plain lines. */
  get drawsBar(): boolean {
    return this.tty ?? this.#stream.isTTY === true;
  }

  override beforeValEpoch(runner: Runner): void {
    this.#start('val', runner.valDataloader?.length);
  }
  override afterValIter(_runner: Runner, batchIdx: number, _dataBatch: DataBatch, _outputs: unknown[]): void {
    this.#advance(batchIdx + 1);
  }
  override afterValEpoch(_runner: Runner, _metrics: Metrics): void {
    this.#finish();
  }
  override beforeTestEpoch(runner: Runner): void {
    this.#start('test', runner.testDataloader?.length);
  }
  override afterTestIter(_runner: Runner, batchIdx: number, _dataBatch: DataBatch, _outputs: unknown[]): void {
    this.#advance(batchIdx + 1);
  }
  override afterTestEpoch(_runner: Runner, _metrics: Metrics): void {
    this.#finish();
  }
  /** A failed loop must not leave a bar timer running or terminal writes intercepted. */
  override onException(_runner: Runner, _error: unknown): void {
    this.#stopBar();
  }
  override afterRun(_runner: Runner): void {
    this.#stopBar();
  }

  #start(mode: EvalMode, length: number | undefined): void {
    this.#stopBar();
    this.#mode = mode;
    // An endless or unknown-length loader has no total to draw a bar against.
    this.#total = length !== undefined && Number.isFinite(length) && length > 0 ? length : 0;
    this.#done = 0;
    this.#lastPrinted = 0;
    this.#startMs = performance.now();
    if (this.drawsBar && this.#total > 0) this.#startBar();
  }

  #advance(done: number): void {
    this.#done = done;
    if (this.#bar) {
      this.#bar.bar.update(done, { rate: this.#rate() });
      // Finish at the last batch, so the epoch's metric lines come after the completed bar.
      if (done >= this.#total) this.#stopBar();
      return;
    }
    if (this.drawsBar && this.#total > 0) return; // the bar for this loop already finished
    const every = this.interval ?? (this.#total > 0 ? Math.ceil(this.#total / 10) : PLAIN_INTERVAL_UNKNOWN_LENGTH);
    if (done % every === 0 || done === this.#total) this.#printLine();
  }

  #finish(): void {
    if (this.#bar) this.#stopBar();
    else if (!(this.drawsBar && this.#total > 0) && this.#done > this.#lastPrinted) this.#printLine();
  }

  #printLine(): void {
    this.#lastPrinted = this.#done;
    this.#stream.write(`[${this.#mode}] ${this.#done}${this.#total > 0 ? `/${this.#total}` : ''}\n`);
  }

  #rate(): string {
    const seconds = (performance.now() - this.#startMs) / 1000;
    return seconds > 0 ? (this.#done / seconds).toFixed(1) : '0.0';
  }

  #startBar(): void {
    const target = this.#stream;
    // The bar writes through the stream's write as it was before interception (no recursion),
    // and always as a terminal, so `tty: true` draws a bar on a pipe too.
    const rawWrite = target.write.bind(target);
    const barStream = {
      isTTY: true,
      get columns(): number | undefined {
        return target.columns;
      },
      write: (text: string): boolean => {
        rawWrite(text);
        return true;
      },
    };
    const format = `${this.#mode} [{bar}] {value}/{total}, {rate} task/s, elapsed: {duration}s, ETA: {eta}s`;
    const multi = new cliProgress.MultiBar({
      stream: barStream as unknown as NodeJS.WritableStream,
      format,
      barCompleteChar: '>',
      barIncompleteChar: ' ',
      barsize: this.barSize ?? fittedBarSize(format, this.#total, target.columns ?? 80),
      fps: this.fps,
      // Redraw after a log line even when the numbers did not change; keep the terminal's line
      // wrapping alone (trimming to its width instead) so a crash cannot leave it switched off.
      forceRedraw: true,
      linewrap: true,
      hideCursor: false,
      gracefulExit: false,
    });
    const bar = multi.create(this.#total, 0, { rate: '0.0' });
    const clearLine = (): void => {
      rawWrite('\r\x1b[2K');
    };
    const restore = interceptWrites(this.#intercept, clearLine, () => multi.update());
    this.#bar = { multi, bar, restore };
  }

  #stopBar(): void {
    if (!this.#bar) return;
    const { multi, restore } = this.#bar;
    this.#bar = null;
    restore();
    multi.stop();
  }
}

/** A bar width that keeps the whole line within `columns` for up to 4-digit rates and times. */
function fittedBarSize(format: string, total: number, columns: number): number {
  const widest = format.replace('{bar}', '').replaceAll('{value}', String(total)).replaceAll('{total}', String(total))
    .replace('{rate}', '9999.9').replace('{duration}', '9999').replace('{eta}', '9999');
  return Math.max(10, Math.min(40, columns - widest.length - 1));
}

/**
 * Replaces `write` on each stream with one that calls `before`, the original write, then `after`;
 * returns a function that puts the original back (unless someone replaced it again meanwhile).
 */
function interceptWrites(streams: InterceptableStream[], before: () => void, after: () => void): () => void {
  const undo: (() => void)[] = [];
  let inside = false;
  for (const stream of streams) {
    const hadOwn = Object.hasOwn(stream, 'write');
    const original = stream.write;
    const patched = function (this: unknown, ...args: never[]): boolean {
      if (inside) return original.apply(stream, args);
      inside = true;
      try {
        before();
        return original.apply(stream, args);
      } finally {
        after();
        inside = false;
      }
    };
    stream.write = patched;
    undo.push(() => {
      if (stream.write !== patched) return;
      if (hadOwn) stream.write = original;
      else delete (stream as { write?: unknown }).write;
    });
  }
  return () => undo.forEach((u) => u());
}

HOOKS.register(ProgressBarHook);
