// bfloat16 autocast (AmpOptimWrapper) against float32 (OptimWrapper) for a whole segmentor
// training step: MMSeg's UNet-S5-D16 + FCN head (the DRIVE model), batch 4x3x64x64, CPU.
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { loadConfig, MODELS, buildOptimWrapper, type BaseModel } from '../src/engine/index.js';
import '../src/seg/index.js';
import { segBatch, timeTrainSteps } from './seg-step.js';
import { median } from './fcn-step.js';

const CONFIG = fileURLToPath(new URL('../../configs/unet/unet-s5-d16_fcn_4xb4-40k_drive-64x64.ts', import.meta.url));


async function timeSteps(wrapperType: 'OptimWrapper' | 'AmpOptimWrapper', steps: number, warmup: number): Promise<number[]> {
  const cfg = (await loadConfig(CONFIG)).dict as Record<string, unknown>;
  torch.manualSeed(0);
  const model = MODELS.build<BaseModel>(cfg.model, { keyPath: ['model'] });
  model.initWeights();
  const wrapperCfg = wrapperType === 'OptimWrapper'
    ? { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 5e-4 } }
    : { type: 'AmpOptimWrapper', optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 5e-4 }, loss_scale: 'dynamic' };
  const wrapper = buildOptimWrapper(model, wrapperCfg) as unknown as Parameters<BaseModel['trainStep']>[1];
  const data = segBatch(4, 64, 2);
  return timeTrainSteps(model, wrapper, data, steps, warmup);
}

export async function benchAmpStep(opts: { steps?: number; warmup?: number; rounds?: number } = {}): Promise<{ name: string; fp32Ms: number; bf16Ms: number; speedup: number }> {
  const { steps = 10, warmup = 3, rounds = 2 } = opts;
  const fp32: number[] = [];
  const bf16: number[] = [];
  for (let r = 0; r < rounds; r++) {
    fp32.push(...(await timeSteps('OptimWrapper', steps, warmup)));
    bf16.push(...(await timeSteps('AmpOptimWrapper', steps, warmup)));
  }
  const fp32Ms = median(fp32);
  const bf16Ms = median(bf16);
  return { name: 'UNet-S5-D16 + FCN train step, batch 4x3x64x64', fp32Ms, bf16Ms, speedup: fp32Ms / bf16Ms };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchAmpStep();
  console.log(`${r.name}: fp32 ${r.fp32Ms.toFixed(1)} ms, bf16 autocast ${r.bf16Ms.toFixed(1)} ms, speed-up ${r.speedup.toFixed(2)}x`);
}
