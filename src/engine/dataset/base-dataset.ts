// BaseDataset: MMEngine's dataset base (metainfo merging, prefixes, filtering, subsets, serialization, pipeline, refetch).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { Compose, type Results } from './compose.js';
import type { Dataset } from './build-dataset.js';
import { dataRandom } from './random.js';
import { SerializedDataList, type DataInfo, type SerializedDataListState } from './serialized-data-list.js';

export type { DataInfo } from './serialized-data-list.js';

/** MMEngine's BaseDataset arguments. Subclasses `.extend()` this and call `.strict()`. */
export const baseDatasetSchema = z.object({
  ann_file: z.string().default(''),
  metainfo: z.record(z.string(), z.unknown()).nullable().default(null),
  data_root: z.string().default(''),
  data_prefix: z.record(z.string(), z.string()).default(() => ({ img_path: '' })),
  filter_cfg: z.record(z.string(), z.unknown()).nullable().default(null),
  /** n: the first n items (negative: the last -n); a list: those items. */
  indices: z.union([z.number().int(), z.array(z.number().int())]).nullable().default(null),
  serialize_data: z.boolean().default(true),
  pipeline: z.array(z.unknown()).default(() => []),
  test_mode: z.boolean().default(false),
  lazy_init: z.boolean().default(false),
  max_refetch: z.number().int().nonnegative().default(1000),
});
export type BaseDatasetOptions = z.output<typeof baseDatasetSchema>;

/** What a worker thread receives to skip loading the annotations again. */
export interface DatasetSharedState {
  data: SerializedDataListState;
  metainfo: Record<string, unknown>;
}

const isUrlOrAbsolute = (p: string): boolean => isAbsolute(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p);

function warn(message: string): void {
  process.emitWarning(message, 'DatasetWarning');
}

/**
 * Metainfo comes from the annotation file (lowest priority), the class's static METAINFO, then the
 * `metainfo` option (highest). `loadDataList` may run inside this constructor (lazy_init false), so
 * a subclass that prepares fields it needs passes `{ deferInit: true }` and calls
 * `this.initUnlessLazy()` at the end of its own constructor.
 */
export class BaseDataset<O extends BaseDatasetOptions = BaseDatasetOptions> implements Dataset<Results> {
  static METAINFO: Record<string, unknown> = {};

  readonly options: O;
  annFile: string;
  readonly dataRoot: string;
  readonly dataPrefix: Record<string, string>;
  readonly filterCfg: Record<string, unknown> | null;
  readonly serializeData: boolean;
  readonly testMode: boolean;
  readonly maxRefetch: number;
  readonly pipeline: Compose;
  protected metainfoStore: Record<string, unknown>;
  /** The data infos while loading; emptied once they are serialized. */
  protected dataList: DataInfo[] = [];
  #serialized: SerializedDataList | null = null;
  #fullyInitialized = false;

  constructor(options: unknown, schema: z.ZodType<O> = baseDatasetSchema.strict() as unknown as z.ZodType<O>, init: { deferInit?: boolean } = {}) {
    this.options = parseOptions(schema, options);
    this.annFile = this.options.ann_file;
    this.dataRoot = this.options.data_root;
    this.dataPrefix = { ...this.options.data_prefix };
    this.filterCfg = this.options.filter_cfg;
    this.serializeData = this.options.serialize_data;
    this.testMode = this.options.test_mode;
    this.maxRefetch = this.options.max_refetch;
    this.metainfoStore = this.loadMetainfo(this.options.metainfo);
    this.joinPrefix();
    this.pipeline = new Compose(this.options.pipeline, ['pipeline']);
    if (!init.deferInit) this.initUnlessLazy();
  }

  protected initUnlessLazy(): void {
    if (!this.options.lazy_init) this.fullInit();
  }

  get fullyInitialized(): boolean {
    return this.#fullyInitialized;
  }

  /** A deep copy of the merged meta information. */
  get metainfo(): Record<string, unknown> {
    return structuredClone(this.metainfoStore);
  }

  /** String values naming an existing file become its lines (MMEngine's list_from_file). */
  protected loadMetainfo(metainfo: Record<string, unknown> | null): Record<string, unknown> {
    const merged = structuredClone((this.constructor as typeof BaseDataset).METAINFO);
    for (const [key, value] of Object.entries(metainfo ?? {})) {
      if (typeof value === 'string' && existsSync(value) && statSync(value).isFile()) {
        const lines = readFileSync(value, 'utf8').split(/\r?\n/);
        if (lines.at(-1) === '') lines.pop();
        merged[key] = lines;
      } else {
        merged[key] = structuredClone(value);
      }
    }
    return merged;
  }

  /** Puts data_root in front of a relative ann_file and relative data_prefix entries. */
  protected joinPrefix(): void {
    if (this.annFile && !isUrlOrAbsolute(this.annFile) && this.dataRoot) this.annFile = join(this.dataRoot, this.annFile);
    for (const [key, prefix] of Object.entries(this.dataPrefix)) {
      if (!isUrlOrAbsolute(prefix) && this.dataRoot) this.dataPrefix[key] = join(this.dataRoot, prefix);
    }
  }

  /**
   * Loads `ann_file` in the OpenMMLab 2.0 JSON format ({ metainfo, data_list }); its metainfo
   * fills keys not set otherwise. Subclasses with other layouts override this.
   */
  loadDataList(): DataInfo[] {
    let annotations: unknown;
    try {
      annotations = JSON.parse(readFileSync(this.annFile, 'utf8'));
    } catch (err) {
      throw new Error(`${this.constructor.name}: cannot read annotation file '${this.annFile}': ${(err as Error).message}`, { cause: err });
    }
    if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations)) {
      throw new TypeError(`${this.annFile}: the annotations should be an object with 'metainfo' and 'data_list', got ${Array.isArray(annotations) ? 'a list' : typeof annotations}`);
    }
    const { metainfo, data_list: rawList } = annotations as { metainfo?: unknown; data_list?: unknown };
    if (metainfo === null || typeof metainfo !== 'object' || !Array.isArray(rawList)) {
      throw new Error(`${this.annFile}: annotations must have 'data_list' (a list) and 'metainfo' (an object) keys`);
    }
    for (const [key, value] of Object.entries(metainfo)) if (!(key in this.metainfoStore)) this.metainfoStore[key] = value;
    const out: DataInfo[] = [];
    rawList.forEach((raw, i) => {
      const parsed = this.parseDataInfo(raw as DataInfo);
      for (const info of Array.isArray(parsed) ? parsed : [parsed]) {
        if (info === null || typeof info !== 'object' || Array.isArray(info)) {
          throw new TypeError(`${this.annFile}: data_list.${i}: parseDataInfo should give an object or a list of objects, got ${JSON.stringify(info)}`);
        }
        out.push(info);
      }
    });
    return out;
  }

  /** Joins each data_prefix to the same-named field of a raw data info. */
  parseDataInfo(raw: DataInfo): DataInfo | DataInfo[] {
    for (const [key, prefix] of Object.entries(this.dataPrefix)) {
      if (typeof raw[key] !== 'string') throw new Error(`${this.annFile}: data info ${JSON.stringify(raw)} has no '${key}' for data_prefix.${key}`);
      raw[key] = join(prefix, raw[key] as string);
    }
    return raw;
  }

  /** Drops unusable items according to filter_cfg; the base keeps everything. */
  filterData(): DataInfo[] {
    return this.dataList;
  }

  /** Loads, filters, takes the `indices` subset and serializes; later calls do nothing. */
  fullInit(): void {
    if (this.#fullyInitialized) return;
    this.dataList = this.loadDataList();
    this.dataList = this.filterData();
    const indices = this.options.indices;
    if (indices !== null) this.dataList = this.#subset(this.dataList, indices);
    if (this.serializeData) {
      this.#serialized = SerializedDataList.fromList(this.dataList);
      this.dataList = [];
    }
    this.#fullyInitialized = true;
  }

  #subset(list: DataInfo[], indices: number | number[]): DataInfo[] {
    if (typeof indices === 'number') return indices >= 0 ? list.slice(0, indices) : list.slice(indices);
    return indices.map((i) => {
      if (i >= list.length || i < -list.length) throw new RangeError(`${this.constructor.name}: indices entry ${i} is outside a dataset of ${list.length}`);
      return list.at(i)!;
    });
  }

  #ensureInit(): void {
    if (this.#fullyInitialized) return;
    warn(`${this.constructor.name} was not fully initialized; calling fullInit() now (call it yourself after lazy_init to control when annotations load)`);
    this.fullInit();
  }

  get length(): number {
    this.#ensureInit();
    return this.#serialized ? this.#serialized.length : this.dataList.length;
  }

  /** A fresh copy of the idx-th data info (negative counts from the end), with `sample_idx` set. */
  getDataInfo(idx: number): DataInfo {
    const n = this.length;
    if (!Number.isInteger(idx) || idx >= n || idx < -n) throw new RangeError(`${this.constructor.name}: index ${idx} is outside 0..${n - 1}`);
    const i = idx < 0 ? n + idx : idx;
    const info = this.#serialized ? this.#serialized.get(i) : structuredClone(this.dataList[i]!);
    info.sample_idx = i;
    return info;
  }

  /** The idx-th data info through the pipeline (null when a transform drops it). */
  prepareData(idx: number): Promise<Results | null> {
    return this.pipeline.transform(this.getDataInfo(idx));
  }

  /**
   * The idx-th sample. In training a dropped sample is replaced by a random other one, up to
   * max_refetch times; in test mode a dropped sample is an error.
   */
  async getItem(idx: number): Promise<Results> {
    this.#ensureInit();
    if (this.testMode) {
      const data = await this.prepareData(idx);
      if (data === null) throw new Error(`${this.constructor.name}: the test-time pipeline dropped sample ${idx}; test pipelines must not return null`);
      return data;
    }
    for (let attempt = 0; attempt <= this.maxRefetch; attempt++) {
      const data = await this.prepareData(idx);
      if (data !== null) return data;
      idx = dataRandom().randint(this.length);
    }
    throw new Error(`${this.constructor.name}: no valid sample after ${this.maxRefetch} refetches; check the data paths and the pipeline`);
  }

  /** The serialized annotations and metainfo, for workers to share instead of reloading (null when not serialized). */
  sharedState(): DatasetSharedState | null {
    this.#ensureInit();
    return this.#serialized ? { data: this.#serialized.state(), metainfo: this.metainfoStore } : null;
  }

  /** Takes annotations loaded elsewhere (by the main thread); the dataset must have been built with lazy_init. */
  adoptSharedState(state: DatasetSharedState): void {
    if (this.#fullyInitialized) throw new Error(`${this.constructor.name}.adoptSharedState: the dataset already loaded its annotations`);
    this.#serialized = SerializedDataList.fromState(state.data);
    this.metainfoStore = state.metainfo;
    this.dataList = [];
    this.#fullyInitialized = true;
  }
}
