// Every bundled config builds (model, optimizer wrapper, schedulers, hooks) and its model runs
// one forward/backward on a small input; the loss keys follow MMSeg's prefixes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../torch/index.js';
import { loadConfig, MODELS, buildOptimWrapper, buildParamSchedulers, type BaseModel } from '../engine/index.js';
import './index.js';

const CONFIGS = fileURLToPath(new URL('../../../configs/', import.meta.url));

function configFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === '_base_' ? [] : configFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function smallBatch(n: number, size: number, numClasses: number): Record<string, unknown> {
  let s = 7;
  const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return {
    inputs: Array.from({ length: n }, () => ({ data: Uint8Array.from({ length: 3 * size * size }, () => Math.floor(rnd() * 256)), shape: [3, size, size] })),
    data_samples: Array.from({ length: n }, () => ({
      metainfo: { img_shape: [size, size], ori_shape: [size, size] },
      gt_sem_seg: { data: { data: Uint8Array.from({ length: size * size }, () => Math.floor(rnd() * numClasses)), shape: [1, size, size] } },
    })),
  };
}

for (const file of configFiles(CONFIGS).sort()) {
  const name = relative(CONFIGS, file);
  test(`${name} builds and runs one forward/backward`, async () => {
    const cfg = (await loadConfig(file)).dict as Record<string, unknown>;
    const model = MODELS.build<BaseModel>(cfg.model, { keyPath: ['model'] });
    model.initWeights();
    const wrapper = buildOptimWrapper(model, cfg.optim_wrapper) as { paramGroups: Record<string, unknown>[] };
    buildParamSchedulers(cfg.param_scheduler, wrapper as never, { maxIters: 100, maxEpochs: 1, epochLength: 10 });
    const m = cfg.model as { decode_head: { num_classes: number }; data_preprocessor: Record<string, unknown> };
    const size = 64;
    // Train-time padding goes to the config's crop size; feed a batch of that size, shrunk to 64 here.
    (model as unknown as { dataPreprocessor: { size: number[] | null } }).dataPreprocessor.size = [size, size];
    model.train();
    const losses = torch.tidy(() => {
      const batch = model.dataPreprocessor.forward(smallBatch(2, size, m.decode_head.num_classes), true);
      const out = model.forward(batch.inputs, batch.data_samples, 'loss') as Record<string, torch.Tensor>;
      const { loss, logVars } = model.parseLosses(out);
      loss.backward();
      return logVars;
    });
    assert.ok(Number.isFinite(losses.loss!) && losses.loss! > 0, `loss ${losses.loss}`);
    assert.ok('decode.loss_ce' in losses, Object.keys(losses).join(', '));
    const withGrad = model.parameters().filter((p) => p.requiresGrad && p.grad !== null).length;
    assert.ok(withGrad > model.parameters().length * 0.5, `${withGrad} of ${model.parameters().length} parameters got gradients`);
    model.dispose();
  });
}
