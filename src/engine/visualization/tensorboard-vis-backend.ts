// TensorboardVisBackend: scalars, images and the config written to a TensorBoard event file in save_dir.
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { VIS_BACKENDS } from '../registry/index.js';
import { checkRgbImage, encodePng, type RgbImage } from './image.js';
import { isItemLike } from './python-json.js';
import { EventFileWriter } from './tensorboard/event-file-writer.js';
import { DT_STRING } from './tensorboard/event-proto.js';
import { BaseVisBackend, configToText, type ConfigLike, type ScalarValue } from './vis-backend.js';

export const tensorboardVisBackendOptionsSchema = z.object({
  save_dir: z.string(),
}).strict();

export type TensorboardVisBackendOptions = z.input<typeof tensorboardVisBackendOptionsSchema>;

/** The global step as SummaryWriter stores it: Python's int(step), so fractions truncate and NaN is an error. */
function int64Step(step: number, where: string): number {
  if (typeof step !== 'number' || !Number.isFinite(step)) throw new RangeError(`${where}: step must be a finite number, got ${String(step)}`);
  return Math.trunc(step);
}

/** The number SummaryWriter.add_scalar accepts (int, float, bool, 0-d tensor), or undefined for anything else. */
function scalarNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'bigint') return Number(value);
  if (isItemLike(value)) return value.item();
  return undefined;
}

export class TensorboardVisBackend extends BaseVisBackend {
  #writer: EventFileWriter | undefined;

  constructor(options: TensorboardVisBackendOptions) {
    super(parseOptions(tensorboardVisBackendOptionsSchema, options).save_dir);
  }

  protected initEnv(): void {
    this.#writer = new EventFileWriter(this.saveDir);
  }

  /** The event-file writer (its `path` is the event file). */
  get experiment(): EventFileWriter {
    this.ensureEnv();
    return this.#writer!;
  }

  /** Records the config as text under 'config/text_summary', as SummaryWriter.add_text('config', ...) does. */
  override addConfig(config: ConfigLike): void {
    this.experiment.addSummary([{
      tag: 'config/text_summary',
      metadata: { plugin_data: { plugin_name: 'text', content: new Uint8Array(0) } },
      tensor: { dtype: DT_STRING, tensor_shape: { dim: [{ size: 1 }] }, string_val: [Buffer.from(configToText(config), 'utf8')] },
    }], undefined);
  }

  /** Records `image` as a PNG-encoded Summary.Image (colorspace = channels). */
  override addImage(name: string, image: RgbImage, step = 0): Promise<void> {
    const where = `TensorboardVisBackend.addImage('${name}')`;
    checkRgbImage(image, where);
    const globalStep = int64Step(step, where);
    const wallTime = Date.now() / 1000;
    const writer = this.experiment;
    const { height, width, channels } = image;
    return this.track(encodePng(image).then((png) => writer.addSummary([{
      tag: name,
      image: { height, width, colorspace: channels, encoded_image_string: png },
    }], globalStep, wallTime)));
  }

  /**
   * Records a float32 simple_value; NaN and infinities are kept, as SummaryWriter does. Values
   * that are not numbers are skipped with a warning, as MMEngine does.
   */
  override addScalar(name: string, value: ScalarValue, step = 0): void {
    const x = scalarNumber(value);
    if (x === undefined) {
      process.emitWarning(`TensorboardVisBackend.addScalar('${name}'): got ${typeof value}, but a number or 0-d tensor is expected; skipped`);
      return;
    }
    const globalStep = int64Step(step, `TensorboardVisBackend.addScalar('${name}')`);
    this.experiment.addSummary([{ tag: name, simple_value: x }], globalStep);
  }

  /** One event per scalar; `filePath` is accepted for a uniform API and unused, as in MMEngine. */
  override addScalars(scalarDict: Record<string, unknown>, step = 0, _filePath?: string): void {
    if (typeof scalarDict !== 'object' || scalarDict === null || Array.isArray(scalarDict)) {
      throw new TypeError(`TensorboardVisBackend.addScalars: expected a record of scalars, got ${Array.isArray(scalarDict) ? 'a list' : String(scalarDict)}`);
    }
    if ('step' in scalarDict) {
      throw new Error("TensorboardVisBackend.addScalars: the record has a 'step' key; pass the step as the step argument instead");
    }
    for (const [key, value] of Object.entries(scalarDict)) this.addScalar(key, value as ScalarValue, step);
  }

  override async close(): Promise<void> {
    await super.close();
    this.#writer?.close();
  }
}

VIS_BACKENDS.register(TensorboardVisBackend);
