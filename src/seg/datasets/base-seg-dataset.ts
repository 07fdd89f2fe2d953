// BaseSegDataset: MMSeg's semantic-segmentation dataset (image/label pairs from a folder scan or a list of names, class subsets).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../engine/config/errors.js';
import { BaseDataset, baseDatasetSchema, type DataInfo, type Results } from '../../engine/dataset/index.js';
import { DATASETS } from '../../engine/registry/index.js';
import { randomPalette } from './random-palette.js';
import { backendArgsSchema } from './transforms/image-io.js';

/** MMSeg's BaseSegDataset arguments (MMEngine's plus suffixes and label options). */
export const baseSegDatasetSchema = baseDatasetSchema.extend({
  img_suffix: z.string().default('.jpg'),
  seg_map_suffix: z.string().default('.png'),
  data_prefix: z.record(z.string(), z.string()).default(() => ({ img_path: '', seg_map_path: '' })),
  ignore_index: z.number().int().min(0).max(255).default(255),
  /** Label 0 becomes ignore_index 255 and the others drop by one (ADE20K's "other" class). */
  reduce_zero_label: z.boolean().default(false),
  /** Only local files are read: null or {backend: 'local'}. */
  backend_args: backendArgsSchema,
});
export type BaseSegDatasetOptions = z.output<typeof baseSegDatasetSchema>;

/** {old class id: new class id or 255}; JSON turns the keys into strings. */
export type LabelMap = Record<number, number>;

/**
 * The files under `dir` whose relative path ends with `suffix`, as MMEngine's
 * list_dir_or_file(recursive=True) finds them: names starting with '.' are skipped as files but
 * such folders are still entered; symlinks are followed.
 */
export function listFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const stat = entry.isSymbolicLink() ? statSync(path, { throwIfNoEntry: false }) : entry;
      if (!stat) continue;
      if (!entry.name.startsWith('.') && stat.isFile()) {
        if (relPath.endsWith(suffix)) out.push(relPath);
      } else if (stat.isDirectory()) {
        walk(path, relPath);
      }
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Lists image/label pairs: `xxx{img_suffix}` under data_prefix.img_path with `xxx{seg_map_suffix}`
 * under data_prefix.seg_map_path, either every such image (recursively, sorted by path) or the
 * names listed in ann_file (one per line, without suffix). With `metainfo.classes` a subset of
 * the class's METAINFO classes, `label_map` sends the dropped classes to 255 and renumbers the
 * rest (and the palette follows). Each data info is plain JSON: img_path, seg_map_path,
 * label_map, reduce_zero_label, seg_fields.
 */
export class BaseSegDataset<O extends BaseSegDatasetOptions = BaseSegDatasetOptions> extends BaseDataset<O> {
  static override METAINFO: Record<string, unknown> = {};

  readonly imgSuffix: string;
  readonly segMapSuffix: string;
  readonly ignoreIndex: number;
  readonly reduceZeroLabel: boolean;
  readonly labelMap: LabelMap | null;

  constructor(options: unknown, schema: z.ZodType<O> = baseSegDatasetSchema.strict() as unknown as z.ZodType<O>, init: { deferInit?: boolean } = {}) {
    super(options, schema, { deferInit: true });
    this.imgSuffix = this.options.img_suffix;
    this.segMapSuffix = this.options.seg_map_suffix;
    this.ignoreIndex = this.options.ignore_index;
    this.reduceZeroLabel = this.options.reduce_zero_label;
    this.labelMap = this.buildLabelMap(this.metainfoStore.classes);
    this.metainfoStore.label_map = this.labelMap;
    this.metainfoStore.reduce_zero_label = this.reduceZeroLabel;
    this.metainfoStore.palette = this.#updatePalette();
    if (this.testMode && this.metainfoStore.classes === undefined) {
      throw new ConfigError(['metainfo', 'classes'], `${this.constructor.name}: dataset metainfo \`classes\` should be specified when testing`);
    }
    this.checkPaths();
    if (!init.deferInit) this.initUnlessLazy();
  }

  /**
   * MMSeg's get_label_map: null unless `newClasses` differs from METAINFO.classes, then
   * {old id: new id, or 255 for classes left out}; new classes must be a subset.
   */
  static getLabelMap(this: { METAINFO: Record<string, unknown>; name: string }, newClasses: unknown): LabelMap | null {
    const oldClasses = this.METAINFO.classes as string[] | undefined;
    if (newClasses === undefined || newClasses === null || oldClasses === undefined) return null;
    const next = [...(newClasses as Iterable<string>)];
    if (next.length === oldClasses.length && next.every((c, i) => c === oldClasses[i])) return null;
    const missing = next.filter((c) => !oldClasses.includes(c));
    if (missing.length) {
      throw new ConfigError(['metainfo', 'classes'], `new classes ${JSON.stringify(next)} are not a subset of ${this.name}'s classes (${JSON.stringify(missing)} not in ${JSON.stringify(oldClasses)})`);
    }
    const map: LabelMap = {};
    oldClasses.forEach((c, i) => (map[i] = next.includes(c) ? next.indexOf(c) : 255));
    return map;
  }

  /** The label map stored in every data info; subclasses add fixed remappings (CamVid's void). */
  protected buildLabelMap(newClasses: unknown): LabelMap | null {
    return BaseSegDataset.getLabelMap.call(this.constructor as typeof BaseSegDataset, newClasses);
  }

  /** MMSeg's _update_palette: as given when it matches the classes, the chosen subset, or numpy seed 42's random colours. */
  #updatePalette(): unknown {
    const palette = (this.metainfoStore.palette ?? []) as unknown[];
    const classes = (this.metainfoStore.classes ?? []) as unknown[];
    if (palette.length === classes.length) return palette;
    if (palette.length === 0) return randomPalette(classes.length);
    if (palette.length >= classes.length && this.labelMap !== null) {
      return Object.entries(this.labelMap)
        .map(([oldId, newId]) => [Number(oldId), newId] as const)
        .filter(([, newId]) => newId !== 255)
        .sort((a, b) => a[1] - b[1])
        .map(([oldId]) => palette[oldId]);
    }
    throw new ConfigError(['metainfo', 'palette'], `${palette.length} colours do not match ${classes.length} classes`);
  }

  /** Checks a subclass needs before listing files (MMSeg's asserts in DRIVE/VOC constructors). */
  protected checkPaths(): void {}

  override loadDataList(): DataInfo[] {
    const imgDir = this.dataPrefix.img_path ?? '';
    const annDir = this.dataPrefix.seg_map_path;
    const info = (img: string, seg: string | null): DataInfo => ({
      img_path: img,
      ...(seg !== null ? { seg_map_path: seg } : {}),
      label_map: this.labelMap,
      reduce_zero_label: this.reduceZeroLabel,
      seg_fields: [],
    });
    const ann = this.annFile;
    if (ann && !(existsSync(ann) && statSync(ann).isDirectory())) {
      let text: string;
      try {
        text = readFileSync(ann, 'utf8');
      } catch (err) {
        throw new Error(`${this.constructor.name}: failed to load ann_file '${ann}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
      }
      return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0)
        .map((name) => info(join(imgDir, name + this.imgSuffix), annDir !== undefined ? join(annDir, name + this.segMapSuffix) : null));
    }
    if (!existsSync(imgDir) || !statSync(imgDir).isDirectory()) {
      throw new Error(`${this.constructor.name}: data_prefix.img_path '${imgDir}' is not a folder (data_root '${this.dataRoot}')`);
    }
    const list = listFiles(imgDir, this.imgSuffix).map((rel) =>
      info(join(imgDir, rel), annDir !== undefined ? join(annDir, rel.slice(0, rel.length - this.imgSuffix.length) + this.segMapSuffix) : null));
    return list.sort((a, b) => ((a.img_path as string) < (b.img_path as string) ? -1 : (a.img_path as string) > (b.img_path as string) ? 1 : 0));
  }

  /** The data info through the pipeline, with num_classes and ignore_index for LoadAnnotations' value check. */
  override prepareData(idx: number): Promise<Results | null> {
    const info = this.getDataInfo(idx);
    const classes = this.metainfoStore.classes;
    if (Array.isArray(classes)) info.num_classes = classes.length;
    info.ignore_index = this.ignoreIndex;
    return this.pipeline.transform(info);
  }
}
DATASETS.register(BaseSegDataset);
