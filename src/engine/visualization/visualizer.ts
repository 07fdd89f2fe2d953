// Visualizer (MMEngine's): the image being drawn, the vis backends it records to, and the current-instance lookup.
import { join } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { VIS_BACKENDS, VISUALIZERS } from '../registry/index.js';
import { checkRgbImage, cloneRgbImage, type RgbImage } from './image.js';
import { BaseVisBackend, type ConfigLike, type ScalarValue } from './vis-backend.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof BaseVisBackend);

const visBackendEntry = z.custom<Record<string, unknown> | BaseVisBackend>(
  (v) => v instanceof BaseVisBackend || isPlainObject(v),
  { message: 'expected a vis backend config { type, ... } or a vis backend' },
);

/** Options with MMEngine's keys; subclasses (SegLocalVisualizer) extend this schema. */
export const visualizerOptionsSchema = z.object({
  name: z.string().min(1).default('visualizer'),
  image: z.custom<RgbImage>((v) => typeof v === 'object' && v !== null, { message: 'expected an image { data, height, width, channels }' }).optional(),
  // A single config counts as a list of one, as in MMEngine.
  vis_backends: z.preprocess((v) => (v === undefined || v === null || Array.isArray(v) ? v : [v]), z.array(visBackendEntry).nullable().default(null)),
  /** Backends built from configs default to `<save_dir>/vis_data`. */
  save_dir: z.string().nullable().default(null),
}).strict();

type VisBackendEntry = Record<string, unknown> | BaseVisBackend;
export type VisualizerOptions = Omit<z.input<typeof visualizerOptionsSchema>, 'vis_backends'> & { vis_backends?: VisBackendEntry | VisBackendEntry[] | null };

/** What `addDatasample` gets besides the image; subclasses define the data sample they draw. */
export interface AddDatasampleOptions<S = unknown> {
  dataSample?: S;
  drawGt?: boolean;
  drawPred?: boolean;
  show?: boolean;
  waitTime?: number;
  /** Where the drawn image is also written as a file (MMSeg's out_file). */
  outFile?: string;
  step?: number;
}

type RGB = readonly [number, number, number];

export class Visualizer {
  /** Instances by name, the most recently created last (MMEngine's ManagerMixin._instance_dict). */
  static readonly #instances = new Map<string, Visualizer>();

  readonly #name: string;
  readonly #visBackends = new Map<string, BaseVisBackend>();
  #image: RgbImage | undefined;
  /** Class names, palette, ... of the dataset being drawn (set by the Runner from the dataset). */
  datasetMeta: Record<string, unknown> | undefined;

  constructor(options: VisualizerOptions = {}) {
    const opts = parseOptions(visualizerOptionsSchema, options);
    this.#name = opts.name;
    const saveDir = opts.save_dir === null ? null : join(opts.save_dir, 'vis_data');
    (opts.vis_backends ?? []).forEach((entry, i) => {
      let backend: BaseVisBackend;
      let name: string | undefined;
      if (entry instanceof BaseVisBackend) {
        backend = entry;
      } else {
        const { name: given, ...cfg } = entry;
        name = given === undefined ? undefined : String(given);
        if (cfg.save_dir === undefined || cfg.save_dir === null) {
          if (saveDir === null) {
            // As MMEngine: a backend that needs save_dir and gets none is left out, with a warning.
            process.emitWarning(`Visualizer '${this.#name}': vis_backends.${i} (${String(cfg.type)}) left out; it needs save_dir and neither it nor the visualizer has one`);
            return;
          }
          cfg.save_dir = saveDir;
        }
        backend = VIS_BACKENDS.build<BaseVisBackend>(cfg, { keyPath: ['vis_backends', i] });
      }
      name ??= backend.constructor.name;
      if (this.#visBackends.has(name)) throw new Error(`Visualizer '${this.#name}': vis_backend name '${name}' already exists`);
      this.#visBackends.set(name, backend);
    });
    if (opts.image !== undefined) this.setImage(opts.image);
    // A later instance with the same name replaces the earlier one and becomes the current one.
    Visualizer.#instances.delete(this.#name);
    Visualizer.#instances.set(this.#name, this);
  }

  /** The existing instance called `name` (of this class), or a new one built from `options`. */
  static getInstance<T extends Visualizer>(this: new (options: VisualizerOptions) => T, name: string, options: Omit<VisualizerOptions, 'name'> = {}): T {
    const existing = Visualizer.#instances.get(name);
    if (existing instanceof this) {
      if (Object.keys(options).length) process.emitWarning(`${this.name} '${name}' already exists; getInstance ignores the options given`);
      return existing;
    }
    return new this({ ...options, name });
  }

  /** The most recently created instance of this class (or a subclass); throws if there is none. */
  static getCurrentInstance<T extends Visualizer>(this: abstract new (...args: never[]) => T): T {
    const all = [...Visualizer.#instances.values()];
    for (let i = all.length - 1; i >= 0; i--) if (all[i] instanceof this) return all[i] as T;
    throw new Error(`Before calling ${this.name}.getCurrentInstance(), create one with VISUALIZERS.build(...) or ${this.name}.getInstance(name)`);
  }

  static checkInstanceCreated(name: string): boolean {
    return Visualizer.#instances.has(name);
  }

  get instanceName(): string {
    return this.#name;
  }

  /** The backend registered as `name` (its config's `name`, else its class name). */
  getBackend(name: string): BaseVisBackend | undefined {
    return this.#visBackends.get(name);
  }

  get visBackends(): ReadonlyMap<string, BaseVisBackend> {
    return this.#visBackends;
  }

  /** Sets the image to draw on (copied, so drawing never changes the caller's pixels). */
  setImage(image: RgbImage): void {
    checkRgbImage(image, `Visualizer '${this.#name}'.setImage`);
    this.#image = cloneRgbImage(image);
  }

  /** The image with everything drawn so far (a copy). */
  getImage(): RgbImage {
    if (!this.#image) throw new Error(`Visualizer '${this.#name}': no image; call setImage first`);
    return cloneRgbImage(this.#image);
  }

  get width(): number | undefined {
    return this.#image?.width;
  }

  get height(): number | undefined {
    return this.#image?.height;
  }

  /**
   * Blends `color` over the pixels where each mask is non-zero: new = round(old*(1-alpha) + color*alpha),
   * MMEngine's draw_binary_masks. `masks`: one H*W mask or a list; colors and alphas: one for all or one per mask.
   */
  drawBinaryMasks(masks: Uint8Array | readonly Uint8Array[], colors: RGB | readonly RGB[] = [0, 127, 0], alphas: number | readonly number[] = 0.8): this {
    const image = this.#image;
    if (!image) throw new Error(`Visualizer '${this.#name}': no image; call setImage before drawBinaryMasks`);
    const where = `Visualizer '${this.#name}'.drawBinaryMasks`;
    const list = masks instanceof Uint8Array ? [masks] : masks;
    const perMask = <V>(v: V | readonly V[], isOne: boolean, what: string): V[] => {
      if (isOne) return list.map(() => v as V);
      const arr = v as readonly V[];
      if (arr.length !== list.length) throw new RangeError(`${where}: ${arr.length} ${what} for ${list.length} masks`);
      return [...arr];
    };
    const colorList = perMask<RGB>(colors, typeof (colors as readonly unknown[])[0] === 'number', 'colors');
    const alphaList = perMask<number>(alphas, typeof alphas === 'number', 'alphas');
    const { data, height, width, channels } = image;
    if (channels < 3) throw new RangeError(`${where}: the image has ${channels} channel(s); masks are drawn on RGB(A) images`);
    list.forEach((mask, m) => {
      if (mask.length !== height * width) throw new RangeError(`${where}: mask ${m} has ${mask.length} pixels, expected height*width = ${height}*${width} = ${height * width}`);
      const color = colorList[m]!;
      const alpha = alphaList[m]!;
      if (color.length !== 3 || color.some((c) => !(c >= 0 && c <= 255))) throw new RangeError(`${where}: color ${m} must be [r, g, b] in 0..255, got [${color.join(', ')}]`);
      if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`${where}: alpha ${m} must be in [0, 1], got ${alpha}`);
      for (let p = 0; p < mask.length; p++) {
        if (!mask[p]) continue;
        for (let c = 0; c < 3; c++) data[p * channels + c] = Math.round(data[p * channels + c]! * (1 - alpha) + color[c]! * alpha);
      }
    });
    return this;
  }

  addConfig(config: ConfigLike): void {
    for (const backend of this.#visBackends.values()) backend.addConfig(config);
  }

  addImage(name: string, image: RgbImage, step = 0): Promise<void> {
    return Promise.all([...this.#visBackends.values()].map((b) => b.addImage(name, image, step))).then(() => undefined);
  }

  addScalar(name: string, value: ScalarValue, step = 0): void {
    for (const backend of this.#visBackends.values()) backend.addScalar(name, value, step);
  }

  addScalars(scalarDict: Record<string, unknown>, step = 0, filePath?: string): void {
    for (const backend of this.#visBackends.values()) backend.addScalars(scalarDict, step, filePath);
  }

  /**
   * Draws a data sample (ground truth and/or prediction over `image`) and records it. The base
   * class draws nothing, as in MMEngine; task visualizers (SegLocalVisualizer) override it.
   */
  async addDatasample(_name: string, _image: RgbImage, _options: AddDatasampleOptions = {}): Promise<void> {}

  /** Closes every backend, waiting for images still being written. */
  async close(): Promise<void> {
    await Promise.all([...this.#visBackends.values()].map((b) => b.close()));
  }
}

VISUALIZERS.register(Visualizer);
