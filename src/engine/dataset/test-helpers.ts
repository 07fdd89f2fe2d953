// A toy dataset and transforms for the dataset tests; registered here so DataLoader workers can import this module.
import { threadId } from 'node:worker_threads';
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { COLLATE_FUNCTIONS, DATASETS, TRANSFORMS, type Constructor } from '../registry/index.js';
import { BaseDataset, baseDatasetSchema, type DataInfo } from './base-dataset.js';
import { BaseTransform, type Results } from './compose.js';
import { dataRandom } from './random.js';

/** This module's URL, for DataLoader's workerModules. */
export const TEST_HELPERS_URL = new URL('./test-helpers.js', import.meta.url).href;

const toySchema = baseDatasetSchema.extend({ num_items: z.number().int().nonnegative().default(10) }).strict();

/** Items { value: 10 * i, name: 'item<i>' }; counts loadDataList calls per thread. */
export class ToyDataset extends BaseDataset<z.output<typeof toySchema>> {
  static override METAINFO = { classes: ['background', 'thing'] };
  static loads = 0;

  constructor(options: unknown) {
    super(options, toySchema);
  }

  override loadDataList(): DataInfo[] {
    ToyDataset.loads++;
    return Array.from({ length: this.options.num_items }, (_, i) => ({ value: 10 * i, name: `item${i}` }));
  }
}
DATASETS.register(ToyDataset);

/** img: an NdArray [size] filled with the sample's value; label: the value as a number. */
export class MakeArray extends BaseTransform {
  readonly size: number;
  constructor(options: unknown) {
    super();
    this.size = parseOptions(z.object({ size: z.number().int().positive().default(4) }).strict(), options).size;
  }
  transform(results: Results): Results {
    const value = results.value as number;
    return { ...results, img: { data: new Float32Array(this.size).fill(value), shape: [this.size] }, label: value };
  }
}

export class ThrowAt extends BaseTransform {
  readonly index: number;
  constructor(options: unknown) {
    super();
    this.index = parseOptions(z.object({ index: z.number().int() }).strict(), options).index;
  }
  transform(results: Results): Results {
    if (results.sample_idx === this.index) throw new Error(`boom at sample ${this.index}`);
    return results;
  }
}

/** Drops (returns null for) the listed samples. */
export class DropAt extends BaseTransform {
  readonly indices: number[];
  constructor(options: unknown) {
    super();
    this.indices = parseOptions(z.object({ indices: z.array(z.number().int()) }).strict(), options).indices;
  }
  transform(results: Results): Results | null {
    return this.indices.includes(results.sample_idx as number) ? null : results;
  }
}

/** Waits `ms` before answering for the listed samples (an async transform). */
export class SleepAt extends BaseTransform {
  readonly opts: { indices: number[]; ms: number };
  constructor(options: unknown) {
    super();
    this.opts = parseOptions(z.object({ indices: z.array(z.number().int()), ms: z.number() }).strict(), options);
  }
  async transform(results: Results): Promise<Results> {
    if (this.opts.indices.includes(results.sample_idx as number)) await new Promise((r) => setTimeout(r, this.opts.ms));
    return results;
  }
}

let lastArray: Float32Array | undefined;
let workerTag: unknown = null;

/**
 * thread_id: the loading thread; prev_detached: whether the previous sample's img buffer was moved
 * away; rand: a draw from the thread's data random stream; dataset_loads: ToyDataset loads in this thread.
 */
export class RecordThread extends BaseTransform {
  constructor(options: unknown) {
    super();
    parseOptions(z.object({}).strict(), options);
  }
  transform(results: Results): Results {
    const prevDetached = lastArray === undefined ? null : lastArray.byteLength === 0;
    lastArray = (results.img as { data: Float32Array } | undefined)?.data;
    return { ...results, thread_id: threadId, prev_detached: prevDetached, worker_tag: workerTag, rand: dataRandom().randint(1_000_000), dataset_loads: ToyDataset.loads };
  }
}

TRANSFORMS.register(MakeArray);
TRANSFORMS.register(ThrowAt);
TRANSFORMS.register(DropAt);
TRANSFORMS.register(SleepAt);
TRANSFORMS.register(RecordThread);

/** A worker_init_fn: stores `tag-<worker id>-<tag>` for RecordThread to report. */
function tagWorker(workerId: number, options: Record<string, unknown>): void {
  workerTag = `tag-${workerId}-${String(options.tag)}`;
}
COLLATE_FUNCTIONS.register(tagWorker as unknown as Constructor, 'tag_worker');

/** A collate function with an option: the labels times `scale`. */
function scaledLabels(batch: unknown[], options: Record<string, unknown> = {}): number[] {
  return batch.map((s) => (s as { label: number }).label * ((options.scale as number | undefined) ?? 1));
}
COLLATE_FUNCTIONS.register(scaledLabels as unknown as Constructor, 'scaled_labels');
