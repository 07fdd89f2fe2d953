// LocalVisBackend: scalars as JSON lines, images as PNG files and the config as JSON, all under save_dir.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { VIS_BACKENDS } from '../registry/index.js';
import { checkRgbImage, encodePng, type RgbImage } from './image.js';
import { pythonJsonDumps } from './python-json.js';
import { BaseVisBackend, configToText, type ConfigLike, type ScalarValue } from './vis-backend.js';

const jsonFile = () => z.string().refine((f) => extname(f) === '.json', { message: 'expected a file name ending in .json' });

export const localVisBackendOptionsSchema = z.object({
  save_dir: z.string(),
  img_save_dir: z.string().default('vis_image'),
  // MMEngine writes config.py; segkit writes the config as JSON.
  config_save_file: jsonFile().default('config.json'),
  scalar_save_file: jsonFile().default('scalars.json'),
}).strict();

export type LocalVisBackendOptions = z.input<typeof localVisBackendOptionsSchema>;

export class LocalVisBackend extends BaseVisBackend {
  /** Full paths, fixed at construction (MMEngine joins them with save_dir in _init_env). */
  readonly imgSaveDir: string;
  readonly configSaveFile: string;
  readonly scalarSaveFile: string;

  constructor(options: LocalVisBackendOptions) {
    const opts = parseOptions(localVisBackendOptionsSchema, options);
    super(opts.save_dir);
    this.imgSaveDir = join(opts.save_dir, opts.img_save_dir);
    this.configSaveFile = join(opts.save_dir, opts.config_save_file);
    this.scalarSaveFile = join(opts.save_dir, opts.scalar_save_file);
  }

  protected initEnv(): void {
    mkdirSync(this.saveDir, { recursive: true });
  }

  get experiment(): LocalVisBackend {
    this.ensureEnv();
    return this;
  }

  /** Writes the config to config_save_file, replacing an earlier one. */
  override addConfig(config: ConfigLike): void {
    this.ensureEnv();
    writeFileSync(this.configSaveFile, configToText(config) + '\n');
  }

  /** Saves `image` as `<img_save_dir>/<name>_<step>.png`. */
  override addImage(name: string, image: RgbImage, step = 0): Promise<void> {
    checkRgbImage(image, `LocalVisBackend.addImage('${name}')`);
    this.ensureEnv();
    const file = join(this.imgSaveDir, `${name}_${step}.png`);
    // Names may contain '/', which makes sub-folders of img_save_dir.
    mkdirSync(dirname(file), { recursive: true });
    return this.track(encodePng(image).then((png) => writeFile(file, png)));
  }

  /** Appends `{"<name>": value, "step": step}` to scalar_save_file. */
  override addScalar(name: string, value: ScalarValue, step = 0): void {
    this.ensureEnv();
    this.#appendLine(this.scalarSaveFile, { [name]: value, step });
  }

  /**
   * Appends the record, with `step` added unless it already has one, to scalar_save_file and,
   * when given, to `filePath` (relative to save_dir).
   */
  override addScalars(scalarDict: Record<string, unknown>, step = 0, filePath?: string): void {
    if (typeof scalarDict !== 'object' || scalarDict === null || Array.isArray(scalarDict)) {
      throw new TypeError(`LocalVisBackend.addScalars: expected a record of scalars, got ${Array.isArray(scalarDict) ? 'a list' : String(scalarDict)}`);
    }
    this.ensureEnv();
    const record = 'step' in scalarDict ? scalarDict : { ...scalarDict, step };
    if (filePath !== undefined) {
      if (extname(filePath) !== '.json') throw new Error(`LocalVisBackend.addScalars: filePath must end in .json, got '${filePath}'`);
      const extra = join(this.saveDir, filePath);
      if (extra === this.scalarSaveFile) {
        throw new Error(`LocalVisBackend.addScalars: filePath '${filePath}' is scalar_save_file itself; choose another name`);
      }
      this.#appendLine(extra, record);
    }
    this.#appendLine(this.scalarSaveFile, record);
  }

  #appendLine(file: string, record: Record<string, unknown>): void {
    // One line per record, as Python's json.dump writes it; appended whole so a crash keeps earlier lines.
    appendFileSync(file, pythonJsonDumps(record, `scalars for ${file}`) + '\n');
  }
}

VIS_BACKENDS.register(LocalVisBackend);
