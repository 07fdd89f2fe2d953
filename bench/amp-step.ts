// bfloat16 autocast (AmpOptimWrapper) against float32 (OptimWrapper) for a whole segmentor training
// step: MMSeg's UNet-S5-D16 + FCN head (the DRIVE model), batch 4x3x64x64, CPU, beside the same
// network in plain PyTorch (bench/amp_step.py: float32 step, torch.autocast bfloat16 step), same
// thread count, alternating rounds.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { loadConfig, MODELS, buildOptimWrapper, type BaseModel } from '../src/engine/index.js';
import '../src/seg/index.js';
import { segBatch, timeTrainSteps } from './seg-step.js';
import { median } from './fcn-step.js';

const CONFIG = fileURLToPath(new URL('../../configs/unet/unet-s5-d16_fcn_4xb4-40k_drive-64x64.ts', import.meta.url));
const PY_SCRIPT = fileURLToPath(new URL('../../bench/amp_step.py', import.meta.url));
const BATCH = 4;
const SIZE = 64;
const SGD = { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 5e-4 };

type Precision = 'fp32' | 'bf16';

async function segkitRound(precision: Precision, steps: number, warmup: number): Promise<number[]> {
  const cfg = (await loadConfig(CONFIG)).dict as Record<string, unknown>;
  torch.manualSeed(0);
  const model = MODELS.build<BaseModel>(cfg.model, { keyPath: ['model'] });
  model.initWeights();
  const wrapperCfg = precision === 'fp32'
    ? { type: 'OptimWrapper', optimizer: SGD }
    : { type: 'AmpOptimWrapper', optimizer: SGD, loss_scale: 'dynamic' };
  const wrapper = buildOptimWrapper(model, wrapperCfg) as unknown as Parameters<BaseModel['trainStep']>[1];
  const data = segBatch(BATCH, SIZE, 2);
  return timeTrainSteps(model, wrapper, data, steps, warmup);
}

function pytorchRound(precision: Precision, steps: number, warmup: number): number[] {
  const out = execFileSync('/usr/bin/python3', [PY_SCRIPT, String(torch.getNumThreads()), String(warmup), String(steps), String(BATCH), String(SIZE), precision]);
  return (JSON.parse(out.toString()) as { ms: number[] }).ms;
}

export interface AmpStepComparison {
  name: string;
  /** segkit: OptimWrapper (float32) and AmpOptimWrapper (bfloat16 autocast), median ms per step. */
  fp32Ms: number;
  bf16Ms: number;
  /** fp32Ms / bf16Ms. */
  speedup: number;
  /** PyTorch: float32 and torch.autocast('cpu', bfloat16) steps, median ms. */
  pytorchFp32Ms: number;
  pytorchBf16Ms: number;
  pytorchSpeedup: number;
}

export async function benchAmpStep(opts: { steps?: number; warmup?: number; rounds?: number } = {}): Promise<AmpStepComparison> {
  const { steps = 8, warmup = 2, rounds = 3 } = opts;
  const runs: Record<'segkit' | 'pytorch', Record<Precision, number[]>> = { segkit: { fp32: [], bf16: [] }, pytorch: { fp32: [], bf16: [] } };
  for (let r = 0; r < rounds; r++) {
    // Alternate the order each round so that load drifts on the shared machine hit both sides alike.
    const order: Precision[] = r % 2 === 0 ? ['fp32', 'bf16'] : ['bf16', 'fp32'];
    for (const p of order) {
      runs.pytorch[p].push(...pytorchRound(p, steps, warmup));
      runs.segkit[p].push(...(await segkitRound(p, steps, warmup)));
    }
  }
  const fp32Ms = median(runs.segkit.fp32);
  const bf16Ms = median(runs.segkit.bf16);
  const pytorchFp32Ms = median(runs.pytorch.fp32);
  const pytorchBf16Ms = median(runs.pytorch.bf16);
  return {
    name: `UNet-S5-D16 + FCN train step, batch ${BATCH}x3x${SIZE}x${SIZE}`,
    fp32Ms, bf16Ms, speedup: fp32Ms / bf16Ms, pytorchFp32Ms, pytorchBf16Ms, pytorchSpeedup: pytorchFp32Ms / pytorchBf16Ms,
  };
}

/** The report line: both speed-ups and how segkit's bfloat16 step compares with PyTorch's. */
export function formatAmpStep(r: AmpStepComparison): string {
  return `${r.name}, bf16 autocast vs fp32:\n`
    + `  segkit  fp32 ${r.fp32Ms.toFixed(1)} ms, bf16 (AmpOptimWrapper) ${r.bf16Ms.toFixed(1)} ms, speed-up ${r.speedup.toFixed(2)}x\n`
    + `  PyTorch fp32 ${r.pytorchFp32Ms.toFixed(1)} ms, bf16 (torch.autocast) ${r.pytorchBf16Ms.toFixed(1)} ms, speed-up ${r.pytorchSpeedup.toFixed(2)}x\n`
    + `  segkit bf16 / PyTorch bf16 ${(r.bf16Ms / r.pytorchBf16Ms).toFixed(3)}, segkit fp32 / PyTorch fp32 ${(r.fp32Ms / r.pytorchFp32Ms).toFixed(3)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatAmpStep(await benchAmpStep()));
}
