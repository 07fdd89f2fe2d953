// The MMSeg-style Python configs in configs/mmseg/ load to the same config as segkit's TypeScript
// ones (differences listed and explained) and a Runner builds from each; SyncBN runs as BN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import * as torch from '../torch/index.js';
import { buildOptimWrapper, buildParamSchedulers, buildRunner, loadConfig, MODELS, type BaseModel } from '../engine/index.js';
import './index.js';

const CONFIGS = fileURLToPath(new URL('../../../configs/', import.meta.url));

/**
 * Keys where the .py config intentionally differs from the .ts one, as MMSeg's files write them:
 * - data_preprocessor: MMSeg's leaf configs set `data_preprocessor = dict(size=crop_size)` at the
 *   top level too (the model's own data_preprocessor is the same in both).
 * - optimizer: MMSeg's schedule files name the optimizer before putting it in optim_wrapper.
 * - vis_backends, img_scale: helper variables of MMSeg's runtime and dataset files.
 */
const LEAVES: [string, string[]][] = [
  ['fcn/fcn_r50-d8_80k_camvid-160x160', ['data_preprocessor', 'img_scale', 'optimizer', 'vis_backends']],
  ['fcn/fcn_r18-d8_80k_camvid-160x160', ['data_preprocessor', 'img_scale', 'optimizer', 'vis_backends']],
  ['deeplabv3plus/deeplabv3plus_r50-d8_80k_camvid-160x160', ['data_preprocessor', 'img_scale', 'optimizer', 'vis_backends']],
  ['segformer/segformer_mit-b0_40k_camvid-160x160', ['data_preprocessor', 'img_scale', 'optimizer', 'vis_backends']],
  ['unet/unet-s5-d16_fcn_4xb4-40k_drive-64x64', ['data_preprocessor', 'optimizer', 'vis_backends']],
  ['convnext/convnext-base_upernet_8xb2-amp-160k_ade20k-512x512', ['data_preprocessor', 'optimizer', 'vis_backends']],
];

const quiet = async <T>(fn: () => Promise<T>): Promise<T> => {
  // The convnext base's custom_imports warning is expected here; other tests check it.
  const emit = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    return await fn();
  } finally {
    process.emitWarning = emit;
  }
};

for (const [leaf, differing] of LEAVES) {
  test(`mmseg/${leaf}.py equals ${leaf}.ts except ${differing.join(', ')}; a Runner builds from it`, async () => {
    const py = (await quiet(() => loadConfig(join(CONFIGS, 'mmseg', `${leaf}.py`)))).dict as Record<string, unknown>;
    const ts = (await loadConfig(join(CONFIGS, `${leaf}.ts`))).dict as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(py), ...Object.keys(ts)])];
    assert.deepEqual(keys.filter((k) => !isDeepStrictEqual(py[k], ts[k])).sort(), differing);
    for (const k of ['model', 'optim_wrapper', 'param_scheduler', 'train_cfg', 'default_hooks', 'train_dataloader', 'val_dataloader']) {
      assert.ok(py[k] !== undefined, k);
    }
    assert.deepEqual(py.data_preprocessor, { ...(ts.data_preprocessor as object), size: (ts.model as { data_preprocessor: { size: unknown } }).data_preprocessor.size });
    if (leaf.startsWith('convnext')) return; // 120M parameters: configs.test.ts builds the .ts twin
    const runner = buildRunner({ ...py, work_dir: mkdtempSync(join(tmpdir(), 'segkit-mmseg-py-')) }, { filename: `${leaf}.py`, quiet: true });
    const wrapper = buildOptimWrapper(runner.model, py.optim_wrapper);
    assert.equal(buildParamSchedulers(py.param_scheduler, wrapper as never, { maxIters: 100, maxEpochs: 1, epochLength: 10 }).length,
      (py.param_scheduler as unknown[]).length);
    runner.model.dispose();
  });
}

test("norm_cfg=dict(type='SyncBN') from a .py config trains as BN in one process", async () => {
  const cfg = (await loadConfig(join(CONFIGS, 'mmseg/fcn/fcn_r18-d8_80k_camvid-160x160.py'))).dict as Record<string, unknown>;
  const model = MODELS.build<BaseModel>(cfg.model, { keyPath: ['model'] });
  model.initWeights();
  const syncBN = model.namedModules().filter(([, m]) => m instanceof torch.nn.SyncBatchNorm);
  assert.ok(syncBN.length > 10, `${syncBN.length} SyncBatchNorm layers`);
  const [name, bn] = syncBN[0]!;
  bn.train();
  torch.tidy(() => {
    const x = torch.randn([4, (bn as torch.nn.SyncBatchNorm).numFeatures, 5, 5]).mul(3).add(2);
    const y = (bn as torch.nn.SyncBatchNorm).forward(x);
    // Batch statistics of this one process: each channel comes out with mean 0 and variance 1.
    const mean = y.mean([0, 2, 3]).abs().max().item();
    const variance = y.var([0, 2, 3], { correction: 0 }).sub(1).abs().max().item();
    assert.ok(mean < 1e-4 && variance < 1e-3, `${name}: mean ${mean}, variance ${variance}`);
  });
  model.dispose();
});
