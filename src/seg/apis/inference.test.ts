import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { Config } from '../../engine/config/index.js';
import { TRANSFORMS } from '../../engine/registry/index.js';
import { decodeImage } from '../../engine/visualization/image.js';
import '../../engine/visualization/index.js';
import { TINY_H, TINY_W, TINY_PALETTE, tinyConfig, writeTinyCheckpoint, writeTinyData, TinySegmentor } from '../testing/tiny-seg.js';
import { inferenceModel, inferencePipeline, initModel, showResult } from './inference.js';

async function setup(n = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-infer-'));
  const files = await writeTinyData(join(dir, 'data'), n);
  const ckpt = join(dir, 'tiny.ckpt');
  writeTinyCheckpoint(ckpt);
  return { dir, files, ckpt, cfg: tinyConfig(join(dir, 'data'), 'unused') };
}

/** The band each row belongs to: what an identity-weight TinySegmentor predicts. */
const bands = (): number[] => Array.from({ length: TINY_H * TINY_W }, (_, p) => { const y = Math.floor(p / TINY_W); return y < 8 ? 0 : y < 16 ? 1 : 2; });

test('initModel loads the weights and dataset meta from a checkpoint; inferenceModel predicts one image or a batch', async () => {
  const { files, ckpt, cfg } = await setup();
  const model = await initModel(cfg, ckpt, 'cpu');
  assert.ok(model instanceof TinySegmentor);
  assert.equal(model.training, false, 'the model is put in eval mode');
  assert.deepEqual(model.datasetMeta.classes, ['blue', 'green', 'red']);
  const one = await inferenceModel(model, files[0]!);
  assert.deepEqual(one.pred_sem_seg!.data.shape, [1, TINY_H, TINY_W]);
  assert.equal(one.pred_sem_seg!.data.dtype, 'int64');
  assert.deepEqual(one.pred_sem_seg!.data.toArray(), bands());
  assert.equal(one.gt_sem_seg, undefined, 'LoadAnnotations is left out of the inference pipeline');
  assert.equal(one.metainfo.img_path, files[0]);
  const batch = await inferenceModel(model, files.slice(1));
  assert.equal(batch.length, 2);
  assert.deepEqual(batch.map((r) => r.metainfo.img_path), files.slice(1));
  torch.dispose([one, batch]);
});

test('without a checkpoint the model keeps its initial weights and takes classes from the config\'s test dataset', async () => {
  const { dir, cfg } = await setup(1);
  const file = join(dir, 'cfg.json');
  writeFileSync(file, JSON.stringify({ ...cfg, custom_imports: undefined }));
  const model = await initModel(file, null, 'cpu');
  assert.ok(model.cfg instanceof Config);
  assert.deepEqual(model.datasetMeta.palette, TINY_PALETTE);
});

test('the inference pipeline is test_pipeline without LoadAnnotations (else the test dataset\'s pipeline)', () => {
  const cfg = new Config({ test_pipeline: [{ type: 'A' }, { type: 'mmseg.LoadAnnotations' }, { type: 'B' }] });
  assert.deepEqual(inferencePipeline(cfg, false), [{ type: 'A' }, { type: 'B' }]);
  const fromDataset = new Config({ test_dataloader: { dataset: { pipeline: [{ type: 'C' }, { type: 'LoadAnnotations', reduce_zero_label: true }] } } });
  assert.deepEqual(inferencePipeline(fromDataset, false), [{ type: 'C' }]);
  assert.throws(() => inferencePipeline(new Config({}), false), /no test_pipeline/);
  if (!TRANSFORMS.has('LoadImageFromNDArray')) assert.throws(() => inferencePipeline(cfg, true), /LoadImageFromNDArray/);
  else assert.equal(inferencePipeline(cfg, true)[0]!.type, 'LoadImageFromNDArray');
});

test('showResult draws the prediction with the model\'s palette at the given opacity into outFile', async () => {
  const { dir, files, ckpt, cfg } = await setup(1);
  const model = await initModel(cfg, ckpt, 'cpu');
  const result = await inferenceModel(model, files[0]!);
  const out = join(dir, 'out', 'vis.png');
  const drawn = await showResult(model, files[0]!, result, { opacity: 0.5, withLabels: false, outFile: out });
  assert.ok(existsSync(out));
  const onDisk = await decodeImage(out);
  assert.deepEqual([...onDisk.data], [...drawn.data]);
  // Row 20 is the red band: image (204, 0, 0) blended half-way with palette red (255, 0, 0).
  const p = (20 * TINY_W + 2) * 3;
  assert.deepEqual([...drawn.data.subarray(p, p + 3)], [Math.trunc(204 * 0.5 + 255 * 0.5), 0, 0]);
  await assert.rejects(showResult(model, files[0]!, result, { opacity: 0 }), /opacity must be in \(0, 1\]/);
  torch.dispose(result);
});
