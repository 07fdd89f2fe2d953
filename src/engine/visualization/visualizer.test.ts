import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { VISUALIZERS } from '../registry/index.js';
import { decodeImage, type RgbImage } from './image.js';
import { LocalVisBackend } from './local-vis-backend.js';
import { TensorboardVisBackend } from './tensorboard-vis-backend.js';
import { readEvents } from './testing/tfevents-reader.js';
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { Visualizer, visualizerOptionsSchema, type AddDatasampleOptions, type VisualizerOptions } from './visualizer.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'segkit-visualizer-'));
let uniq = 0;
const uniqueName = (base: string) => `${base}-${process.pid}-${uniq++}`;

const solid = (height: number, width: number, rgb: [number, number, number]): RgbImage => {
  const data = new Uint8Array(height * width * 3);
  for (let p = 0; p < height * width; p++) data.set(rgb, p * 3);
  return { data, height, width, channels: 3 };
};

test('builds its backends under <save_dir>/vis_data and records to all of them', async () => {
  const workDir = tmp();
  const vis = VISUALIZERS.build<Visualizer>({
    type: 'Visualizer', name: uniqueName('vis'), save_dir: workDir,
    vis_backends: [{ type: 'LocalVisBackend' }, { type: 'TensorboardVisBackend' }],
  });
  assert.deepEqual([...vis.visBackends.keys()], ['LocalVisBackend', 'TensorboardVisBackend']);
  assert.ok(vis.getBackend('LocalVisBackend') instanceof LocalVisBackend);
  assert.equal(vis.getBackend('WandbVisBackend'), undefined);
  const visData = join(workDir, 'vis_data');
  assert.equal(existsSync(visData), false, 'nothing written before the first record');

  vis.addScalars({ lr: 0.01, loss: 1.5 }, 10, 'val.json');
  vis.addScalar('mIoU', 70.5, 20);
  vis.addConfig({ max_iters: 20 });
  await vis.addImage('pred', solid(2, 3, [10, 20, 30]), 20);
  await vis.close();

  assert.equal(readFileSync(join(visData, 'scalars.json'), 'utf8'), '{"lr": 0.01, "loss": 1.5, "step": 10}\n{"mIoU": 70.5, "step": 20}\n');
  assert.equal(readFileSync(join(visData, 'val.json'), 'utf8'), '{"lr": 0.01, "loss": 1.5, "step": 10}\n');
  assert.deepEqual(JSON.parse(readFileSync(join(visData, 'config.json'), 'utf8')), { max_iters: 20 });
  assert.deepEqual([...(await decodeImage(join(visData, 'vis_image', 'pred_20.png'))).data.subarray(0, 3)], [10, 20, 30]);
  const eventFile = readdirSync(visData).find((f) => f.startsWith('events.out.tfevents.'))!;
  const recorded = readEvents(join(visData, eventFile)).flatMap((e) => e.values?.map((v) => `${v.tag}@${e.step ?? '-'}`) ?? []);
  assert.deepEqual(recorded, ['lr@10', 'loss@10', 'mIoU@20', 'config/text_summary@-', 'pred@20']);
});

test('backend names come from their config, duplicates are refused, instances are accepted', () => {
  const workDir = tmp();
  const own = new TensorboardVisBackend({ save_dir: join(workDir, 'tb') });
  const vis = new Visualizer({
    name: uniqueName('named'), save_dir: workDir,
    vis_backends: [{ type: 'LocalVisBackend', name: 'local', save_dir: join(workDir, 'elsewhere') }, own],
  });
  assert.equal((vis.getBackend('local') as LocalVisBackend).scalarSaveFile, join(workDir, 'elsewhere', 'scalars.json'));
  assert.equal(vis.getBackend('TensorboardVisBackend'), own);
  assert.throws(() => new Visualizer({ name: uniqueName('dup'), save_dir: workDir, vis_backends: [{ type: 'LocalVisBackend' }, { type: 'LocalVisBackend' }] }),
    /vis_backend name 'LocalVisBackend' already exists/);
  // A single config is taken as a list of one, as in MMEngine.
  assert.equal(new Visualizer({ name: uniqueName('one'), save_dir: workDir, vis_backends: { type: 'LocalVisBackend' } }).visBackends.size, 1);
});

test('a backend without any save_dir is left out with a warning', async () => {
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  const vis = new Visualizer({ name: uniqueName('nodir'), vis_backends: [{ type: 'LocalVisBackend' }] });
  assert.equal(vis.visBackends.size, 0);
  assert.match((await warned).message, /vis_backends\.0 \(LocalVisBackend\) left out; it needs save_dir/);
  vis.addScalar('lr', 1, 0); // records nowhere, without error
});

test('config errors name the key path', () => {
  assert.throws(() => VISUALIZERS.build({ type: 'Visualizer', save_dir: tmp(), vis_backends: [{ type: 'LocalVisBakend' }] }, { keyPath: ['visualizer'] }),
    (e: unknown) => e instanceof ConfigError && /^visualizer\.vis_backends\.0\.type: 'LocalVisBakend' is not in the VIS_BACKENDS registry; did you mean 'LocalVisBackend'/.test(e.message));
  assert.throws(() => VISUALIZERS.build({ type: 'Visualizer', save_dir: tmp(), vis_backends: [{ type: 'LocalVisBackend', img_dir: 'x' }] }, { keyPath: ['visualizer'] }),
    /^ConfigError: visualizer\.vis_backends\.0: unknown key 'img_dir'$/);
  assert.throws(() => VISUALIZERS.build({ type: 'Visualizer', fig_save_cfg: {} }, { keyPath: ['visualizer'] }), /visualizer: unknown key 'fig_save_cfg'/);
  assert.throws(() => VISUALIZERS.build({ type: 'Visualizer', vis_backends: ['LocalVisBackend'] }), /vis_backends\.0: expected a vis backend config/);
});

test('getCurrentInstance gives the latest created instance, of the class asked for', () => {
  class SegLikeVisualizer extends Visualizer {
    drawn: string[] = [];
    override async addDatasample(name: string, _image: RgbImage, options: AddDatasampleOptions = {}): Promise<void> {
      this.drawn.push(`${name}@${options.step ?? 0}`);
    }
  }
  const a = new Visualizer({ name: uniqueName('a') });
  assert.equal(Visualizer.getCurrentInstance(), a);
  const seg = SegLikeVisualizer.getInstance(uniqueName('seg'));
  const b = new Visualizer({ name: uniqueName('b') });
  assert.equal(Visualizer.getCurrentInstance(), b);
  assert.equal(SegLikeVisualizer.getCurrentInstance(), seg);
  assert.equal(SegLikeVisualizer.getInstance(seg.instanceName), seg);
  assert.equal(Visualizer.getInstance(a.instanceName), a);
  assert.ok(Visualizer.checkInstanceCreated(b.instanceName));
  class Never extends Visualizer {}
  assert.throws(() => Never.getCurrentInstance(), /Before calling Never\.getCurrentInstance\(\), create one/);
  // Re-creating a name makes it current again.
  const a2 = new Visualizer({ name: a.instanceName });
  assert.equal(Visualizer.getCurrentInstance(), a2);
  assert.equal(Visualizer.getInstance(a.instanceName), a2);
  return seg.addDatasample('img.png', solid(1, 1, [0, 0, 0]), { step: 3 }).then(() => assert.deepEqual(seg.drawn, ['img.png@3']));
});

test('setImage copies; drawBinaryMasks blends color where the mask is set', () => {
  const vis = new Visualizer({ name: uniqueName('draw'), image: solid(2, 2, [100, 50, 200]) });
  const source = solid(2, 2, [100, 50, 200]);
  vis.setImage(source);
  vis.drawBinaryMasks(new Uint8Array([1, 0, 0, 1]), [0, 255, 0], 0.5);
  assert.deepEqual([...source.data.subarray(0, 3)], [100, 50, 200], "the caller's pixels are untouched");
  const drawn = vis.getImage();
  assert.deepEqual([...drawn.data], [50, 153, 100, 100, 50, 200, 100, 50, 200, 50, 153, 100]);
  drawn.data[0] = 0;
  assert.equal(vis.getImage().data[0], 50, 'getImage returns a copy');
  // Two masks, one color and alpha each, default alpha 0.8 when one number is given for all.
  vis.setImage(solid(1, 2, [0, 0, 0]));
  vis.drawBinaryMasks([new Uint8Array([1, 0]), new Uint8Array([0, 1])], [[255, 0, 0], [0, 0, 100]], [1, 0.25]);
  assert.deepEqual([...vis.getImage().data], [255, 0, 0, 0, 0, 25]);
  assert.throws(() => vis.drawBinaryMasks(new Uint8Array(3)), /mask 0 has 3 pixels, expected height\*width = 1\*2 = 2/);
  assert.throws(() => vis.drawBinaryMasks([new Uint8Array(2)], [[1, 2, 3], [4, 5, 6]]), /2 colors for 1 masks/);
  assert.throws(() => vis.drawBinaryMasks(new Uint8Array(2), [0, 300, 0]), /color 0 must be \[r, g, b\] in 0\.\.255/);
  assert.throws(() => new Visualizer({ name: uniqueName('empty') }).getImage(), /no image; call setImage first/);
  assert.throws(() => vis.setImage({ data: new Uint8Array(2), height: 1, width: 1, channels: 3 }), /setImage: image\.data has 2 bytes, expected/);
});

test('a subclass extends the options schema and hands the base options to super', () => {
  const schema = visualizerOptionsSchema.extend({ alpha: z.number().default(0.8), classes: z.array(z.string()).optional() }).strict();
  class WithAlpha extends Visualizer {
    readonly alpha: number;
    constructor(options: VisualizerOptions & { alpha?: number; classes?: string[] } = {}) {
      const { alpha, classes: _classes, ...base } = parseOptions(schema, options);
      super(base);
      this.alpha = alpha;
    }
  }
  VISUALIZERS.register(WithAlpha);
  const vis = VISUALIZERS.build<WithAlpha>({ type: 'WithAlpha', name: uniqueName('alpha'), alpha: 0.5, save_dir: tmp(), vis_backends: [{ type: 'LocalVisBackend' }] });
  assert.equal(vis.alpha, 0.5);
  assert.equal(vis.visBackends.size, 1);
  assert.equal(WithAlpha.getCurrentInstance(), vis);
  assert.throws(() => VISUALIZERS.build({ type: 'WithAlpha', alpha: '0.5' }, { keyPath: ['visualizer'] }), /^ConfigError: visualizer\.alpha: expected number, got "0\.5"$/);
});
