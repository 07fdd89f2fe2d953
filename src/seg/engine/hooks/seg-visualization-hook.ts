// SegVisualizationHook (MMSeg's): draws predictions over their input images during val/test, every `interval` batches.
import { basename, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { Hook } from '../../../engine/hooks/hook.js';
import type { DataBatch } from '../../../engine/model/base-model.js';
import { HOOKS } from '../../../engine/registry/index.js';
import type { Runner } from '../../../engine/runner/runner.js';
import type { DataLoaderLike } from '../../../engine/runner/data-source.js';
import { Visualizer } from '../../../engine/visualization/visualizer.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';
import { readRgbImage } from '../../visualization/read-image.js';

export const segVisualizationHookOptionsSchema = z.object({
  /** Nothing is drawn unless this is true (MMSeg's tools/test.py turns it on for --show/--show-dir). */
  draw: z.boolean().default(false),
  interval: z.number().int().positive().default(50),
  /** No window on a server: the visualizer writes the drawing to a file and logs where. */
  show: z.boolean().default(false),
  wait_time: z.number().nonnegative().default(0),
  /** MMEngine file backends; segkit reads local files only, so only the local backend is accepted. */
  backend_args: z.record(z.string(), z.unknown()).nullable().default(null),
  /** segkit (as MMDetection's hook): in test mode also write each drawing to `<work_dir>/<timestamp>/<test_out_dir>/<image name>`. */
  test_out_dir: z.string().nullable().default(null),
}).strict();

export type SegVisualizationHookOptions = z.input<typeof segVisualizationHookOptionsSchema>;

type OutputSample = Partial<SegDataSample>;

export class SegVisualizationHook extends Hook {
  static override priority: number | string = 'NORMAL';

  readonly draw: boolean;
  readonly interval: number;
  readonly show: boolean;
  readonly waitTime: number;
  readonly testOutDir: string | null;
  readonly visualizer: Visualizer;
  /** The loader whose dataset meta the visualizer holds (MMEngine's loops hand it over; see #syncDatasetMeta). */
  #metaFrom: DataLoaderLike | null = null;

  constructor(options: SegVisualizationHookOptions = {}) {
    super();
    const opts = parseOptions(segVisualizationHookOptionsSchema, options);
    const backend = opts.backend_args?.backend;
    if (backend !== undefined && backend !== 'local' && backend !== 'disk') {
      throw new ConfigError(['backend_args', 'backend'], `segkit reads images from local files only, got ${JSON.stringify(backend)}`);
    }
    this.draw = opts.draw;
    this.interval = opts.interval;
    this.show = opts.show;
    this.waitTime = opts.wait_time;
    this.testOutDir = opts.test_out_dir;
    this.visualizer = Visualizer.getCurrentInstance();
    if (this.show) {
      // As MMSeg: showing means not storing, so the vis backends are dropped.
      (this.visualizer.visBackends as Map<string, unknown>).clear();
      process.emitWarning('SegVisualizationHook: show is true, so only the drawn predictions are shown (written to files and logged) and vis_backends are left out.');
    }
    if (!this.draw) {
      process.emitWarning('SegVisualizationHook: draw is false, so the hook does nothing; predictions are NOT visualized or stored.');
    }
  }

  // MMSeg overrides _after_iter, which MMEngine calls after train, val and test iterations alike.
  override async afterTrainIter(runner: Runner, batchIdx: number, dataBatch: DataBatch): Promise<void> {
    await this.#afterIter(runner, batchIdx, dataBatch, [], 'train');
  }
  override async afterValIter(runner: Runner, batchIdx: number, dataBatch: DataBatch, outputs: unknown[]): Promise<void> {
    await this.#afterIter(runner, batchIdx, dataBatch, outputs, 'val');
  }
  override async afterTestIter(runner: Runner, batchIdx: number, dataBatch: DataBatch, outputs: unknown[]): Promise<void> {
    await this.#afterIter(runner, batchIdx, dataBatch, outputs, 'test');
  }

  async #afterIter(runner: Runner, batchIdx: number, _dataBatch: DataBatch, outputs: unknown[], mode: 'train' | 'val' | 'test'): Promise<void> {
    // Only rank 0 draws, as MMEngine's master_only add_datasample.
    if (!this.draw || mode === 'train' || (runner.rank ?? 0) !== 0) return;
    if (!this.everyNInnerIters(batchIdx, this.interval)) return;
    this.#syncDatasetMeta(mode === 'val' ? runner.valDataloader : runner.testDataloader);
    for (const [i, output] of (outputs as OutputSample[]).entries()) {
      const imgPath = output?.metainfo?.img_path;
      if (typeof imgPath !== 'string') throw new Error(`SegVisualizationHook: output ${i} of ${mode} batch ${batchIdx} has no metainfo.img_path to read the image from`);
      const img = await readRgbImage(imgPath);
      const name = `${mode}_${basename(imgPath)}`;
      let outFile: string | undefined;
      if (mode === 'test' && this.testOutDir !== null) {
        const dir = isAbsolute(this.testOutDir) ? this.testOutDir : join(runner.workDir, runner.timestamp, this.testOutDir);
        outFile = join(dir, basename(imgPath));
      }
      await this.visualizer.addDatasample(name, img, { dataSample: output, show: this.show, waitTime: this.waitTime, step: runner.iter, outFile });
    }
  }

  /**
   * MMEngine's ValLoop/TestLoop give the visualizer the dataset's metainfo (classes, palette)
   * when they are built; segkit's loops give it to the evaluator only, so the hook does it
   * before drawing from a loader for the first time.
   */
  #syncDatasetMeta(loader: DataLoaderLike | null): void {
    if (!loader || loader === this.#metaFrom) return;
    this.#metaFrom = loader;
    const meta = loader.dataset?.metainfo;
    if (meta) this.visualizer.datasetMeta = meta;
  }
}

HOOKS.register(SegVisualizationHook);
