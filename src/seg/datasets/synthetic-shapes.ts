// SyntheticShapesDataset: procedural scenes of textured shapes on textured backgrounds with exact labels, seeded, no files needed.
import { existsSync, mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { z } from 'zod';
import { ConfigError } from '../../engine/config/errors.js';
import { SeededRandom, type DataInfo, type Results } from '../../engine/dataset/index.js';
import { DATASETS } from '../../engine/registry/index.js';
import { BaseSegDataset, baseSegDatasetSchema, type LabelMap } from './base-seg-dataset.js';

/** Foreground shape kinds in class order (class k >= 1 is SHAPES[k - 1]). */
export const SHAPES = ['disc', 'box', 'triangle', 'ring', 'cross', 'diamond'] as const;
export type ShapeKind = (typeof SHAPES)[number];

const int = z.number().int();

export const syntheticShapesDatasetSchema = baseSegDatasetSchema.extend({
  num_samples: int.positive().default(1000),
  /** Scene size: one number for square scenes or [h, w]. */
  img_size: z.union([int.min(16), z.tuple([int.min(16), int.min(16)])]).default(128),
  seed: int.nonnegative().default(0),
  /** Classes including background 0: 2..7 (background + the first num_classes - 1 SHAPES). */
  num_classes: int.min(2).max(SHAPES.length + 1).default(SHAPES.length),
  /** Shapes per scene, drawn uniformly from [min, max]; later shapes occlude earlier ones. */
  min_shapes: int.min(1).default(2),
  max_shapes: int.min(1).default(5),
  /**
   * Also write each scene's image as a PNG at its img_path (once; later runs reuse the file), so
   * tools that read `img_path` (SegVisualizationHook, browse-dataset) find it.
   */
  save_images: z.boolean().default(false),
  /** Where img_path points and images are written; null: <os tmpdir>/segkit-synthetic-shapes/<generator settings>. */
  cache_dir: z.string().nullable().default(null),
});
export type SyntheticShapesDatasetOptions = z.input<typeof syntheticShapesDatasetSchema>;
type Options = z.output<typeof syntheticShapesDatasetSchema>;

/** A generated scene: HWC BGR uint8 image and HW uint8 labels. */
export interface Scene {
  img: { data: Uint8Array; shape: [number, number, 3] };
  gt_seg_map: { data: Uint8Array; shape: [number, number] };
}

/** Bumped whenever the generator's output changes, so cached PNGs of an older version are not reused. */
const GENERATOR_VERSION = 1;

/** Class k's hue in degrees: foreground classes spread evenly around the colour wheel. */
const classHue = (k: number, numClasses: number): number => ((k - 1) * 360) / (numClasses - 1);

/** HSV (h in degrees, s and v in [0, 1]) to RGB bytes. */
function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/** A texture: a function of pixel (x, y) into [0, 1] that mixes two colours. */
type Texture = (x: number, y: number) => number;

/** Smooth value noise over a coarse random grid with `cells` cells along the longer side. */
function valueNoise(rng: SeededRandom, h: number, w: number, cells: number): Texture {
  const step = Math.max(h, w) / cells;
  const gw = Math.ceil(w / step) + 2;
  const gh = Math.ceil(h / step) + 2;
  const grid = Float32Array.from({ length: gw * gh }, () => rng.random());
  return (x, y) => {
    const gx = x / step;
    const gy = y / step;
    const x0 = Math.floor(gx);
    const y0 = Math.floor(gy);
    const tx = gx - x0;
    const ty = gy - y0;
    const at = (i: number, j: number): number => grid[j * gw + i]!;
    const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
    const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
    return top * (1 - ty) + bottom * ty;
  };
}

/** One of: stripes at a random angle and period, a checkerboard, a linear gradient, value noise. */
function randomTexture(rng: SeededRandom, h: number, w: number): Texture {
  const angle = rng.random() * Math.PI;
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const period = 4 + rng.random() * 12;
  switch (rng.randint(4)) {
    case 0:
      return (x, y) => 0.5 + 0.5 * Math.sin(((x * c + y * s) * 2 * Math.PI) / period);
    case 1:
      return (x, y) => ((Math.floor((x * c + y * s) / period) + Math.floor((y * c - x * s) / period)) & 1);
    case 2: {
      const extent = Math.hypot(h, w);
      return (x, y) => Math.min(1, Math.max(0, 0.5 + (x - w / 2) * c / extent + (y - h / 2) * s / extent));
    }
    default:
      return valueNoise(rng, h, w, 3 + rng.randint(10));
  }
}

/** Whether the point (u, v), in the shape's own rotated frame with circumradius r, is inside the shape. */
function inside(kind: ShapeKind, u: number, v: number, r: number, aspect: number): boolean {
  const au = Math.abs(u);
  const av = Math.abs(v);
  switch (kind) {
    case 'disc':
      return u * u + v * v <= r * r;
    case 'box':
      return au <= r * 0.8 && av <= r * 0.8 * aspect;
    case 'triangle':
      // Equilateral with circumradius r, apex up: below the two slanted edges and above the base.
      return v <= r / 2 && Math.sqrt(3) * au - v <= r;
    case 'ring': {
      const d = u * u + v * v;
      return d <= r * r && d >= 0.3 * r * r;
    }
    case 'cross':
      return (au <= r && av <= r * 0.3) || (av <= r && au <= r * 0.3);
    case 'diamond':
      return au / r + av / (r * 0.65) <= 1;
  }
}

/**
 * Renders scene `index` of the stream `seed`: the same (seed, index, size, classes, shape counts)
 * always gives the same pixels. Background textures are low-saturation; each foreground class has
 * its own hue (jittered) and a random texture, so both colour and outline identify it.
 */
export function renderScene(seed: number, index: number, h: number, w: number, numClasses: number, minShapes = 2, maxShapes = 5): Scene {
  const rng = new SeededRandom(seed * 1_000_003 + index);
  const rgb = new Float32Array(h * w * 3);
  const labels = new Uint8Array(h * w);
  const paint = (texture: Texture, a: [number, number, number], b: [number, number, number], mask: ((x: number, y: number) => boolean) | null, label: number): void => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (mask !== null && !mask(x + 0.5, y + 0.5)) continue;
        const t = texture(x, y);
        const p = y * w + x;
        for (let ch = 0; ch < 3; ch++) rgb[p * 3 + ch] = a[ch]! * (1 - t) + b[ch]! * t;
        labels[p] = label;
      }
    }
  };
  const bgHue = rng.random() * 360;
  paint(randomTexture(rng, h, w),
    hsvToRgb(bgHue, rng.random() * 0.2, 0.15 + rng.random() * 0.4),
    hsvToRgb((bgHue + rng.random() * 60) % 360, rng.random() * 0.2, 0.45 + rng.random() * 0.5), null, 0);
  const count = minShapes + rng.randint(maxShapes - minShapes + 1);
  const side = Math.min(h, w);
  for (let i = 0; i < count; i++) {
    const label = 1 + rng.randint(numClasses - 1);
    const kind = SHAPES[label - 1]!;
    const r = side * (0.1 + rng.random() * 0.14);
    const cx = rng.random() * w;
    const cy = rng.random() * h;
    const theta = rng.random() * 2 * Math.PI;
    const aspect = 0.5 + rng.random() * 0.5;
    const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
    const hue = (classHue(label, numClasses) + (rng.random() - 0.5) * 16 + 360) % 360;
    const mask = (x: number, y: number): boolean => {
      const dx = x - cx;
      const dy = y - cy;
      return inside(kind, dx * cos + dy * sin, -dx * sin + dy * cos, r, aspect);
    };
    paint(randomTexture(rng, h, w),
      hsvToRgb(hue, 0.75 + rng.random() * 0.25, 0.55 + rng.random() * 0.2),
      hsvToRgb(hue, 0.55 + rng.random() * 0.3, 0.8 + rng.random() * 0.2), mask, label);
  }
  const bgr = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    // Pixel noise so that flat areas are not perfectly clean.
    const noise = (rng.random() - 0.5) * 12;
    for (let ch = 0; ch < 3; ch++) bgr[p * 3 + 2 - ch] = Math.max(0, Math.min(255, Math.round(rgb[p * 3 + ch]! + noise)));
  }
  return { img: { data: bgr, shape: [h, w, 3] }, gt_seg_map: { data: labels, shape: [h, w] } };
}

/** BGR HWC pixels to an RGB PNG file, written through a temporary name so readers never see half a file. */
async function writePng(path: string, img: Scene['img']): Promise<void> {
  const [h, w] = img.shape;
  const rgb = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) {
    rgb[p * 3] = img.data[p * 3 + 2]!;
    rgb[p * 3 + 1] = img.data[p * 3 + 1]!;
    rgb[p * 3 + 2] = img.data[p * 3]!;
  }
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, encodePng({ width: w, height: h, data: rgb, channels: 3, depth: 8 }));
  await rename(tmp, path);
}

/**
 * Scenes produced on the fly in the results format LoadImageFromFile + LoadAnnotations give
 * (`img` HWC BGR, `gt_seg_map`, `img_shape`, `ori_shape`, `seg_fields`), so pipelines start
 * directly with augmentations (RandomFlip, PhotoMetricDistortion, ...) and PackSegInputs.
 * `img_path` is `<cache_dir>/shapes_000123.png`; the file exists only with save_images.
 */
export class SyntheticShapesDataset extends BaseSegDataset<Options> {
  static override METAINFO: Record<string, unknown> = {
    classes: ['background', ...SHAPES],
    palette: [[120, 120, 120], ...SHAPES.map((_, i) => hsvToRgb(classHue(i + 1, SHAPES.length + 1), 1, 0.9))],
  };

  readonly height: number;
  readonly width: number;
  readonly cacheDir: string;

  constructor(options: unknown) {
    super(options, syntheticShapesDatasetSchema.strict(), { deferInit: true });
    const o = this.options;
    [this.height, this.width] = typeof o.img_size === 'number' ? [o.img_size, o.img_size] : o.img_size;
    if (o.min_shapes > o.max_shapes) throw new ConfigError(['min_shapes'], `min_shapes ${o.min_shapes} is above max_shapes ${o.max_shapes}`);
    this.cacheDir = o.cache_dir ?? join(tmpdir(), 'segkit-synthetic-shapes',
      `v${GENERATOR_VERSION}_seed${o.seed}_${this.height}x${this.width}_c${o.num_classes}_n${o.min_shapes}-${o.max_shapes}`);
    if (o.save_images) mkdirSync(this.cacheDir, { recursive: true });
    this.initUnlessLazy();
  }

  /** Classes and palette follow num_classes unless the metainfo option names them (then the count must match). */
  protected override loadMetainfo(metainfo: Record<string, unknown> | null): Record<string, unknown> {
    const merged = super.loadMetainfo(metainfo);
    const n = (this.options as Options).num_classes;
    const given = metainfo?.classes;
    if (given !== undefined && (!Array.isArray(given) || given.length !== n)) {
      throw new ConfigError(['metainfo', 'classes'], `expected ${n} class names (num_classes), got ${JSON.stringify(given)}`);
    }
    if (given === undefined) merged.classes = (merged.classes as string[]).slice(0, n);
    if (metainfo?.palette === undefined) merged.palette = (merged.palette as number[][]).slice(0, n).map((_, k) =>
      k === 0 ? [120, 120, 120] : hsvToRgb(classHue(k, n), 1, 0.9));
    return merged;
  }

  /** Labels are generated as class ids directly: there is nothing to remap. */
  protected override buildLabelMap(): LabelMap | null {
    return null;
  }

  override loadDataList(): DataInfo[] {
    return Array.from({ length: this.options.num_samples }, (_, i) => ({
      img_path: join(this.cacheDir, `shapes_${String(i).padStart(6, '0')}.png`),
      scene_idx: i,
      label_map: null,
      reduce_zero_label: false,
      seg_fields: [],
    }));
  }

  /** The scene of this index (by scene_idx, so `indices` subsets keep their scenes) through the pipeline. */
  override async prepareData(idx: number): Promise<Results | null> {
    const info = this.getDataInfo(idx);
    const o = this.options;
    const scene = renderScene(o.seed, info.scene_idx as number, this.height, this.width, o.num_classes, o.min_shapes, o.max_shapes);
    const path = info.img_path as string;
    if (o.save_images && !existsSync(path)) await writePng(path, scene.img);
    const shape: [number, number] = [this.height, this.width];
    return this.pipeline.transform({
      ...info,
      img: scene.img,
      gt_seg_map: scene.gt_seg_map,
      img_shape: shape,
      ori_shape: [...shape],
      seg_fields: ['gt_seg_map'],
      num_classes: o.num_classes,
      ignore_index: this.ignoreIndex,
    });
  }
}
DATASETS.register(SyntheticShapesDataset);
