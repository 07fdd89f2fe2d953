// `npm run bench`: every benchmark, each segkit figure beside its PyTorch counterpart from the same run.
import * as torch from '../src/torch/index.js';
import { benchFcnStep, type StepComparison } from './fcn-step.js';
import { benchEngineOverhead, formatEngineOverhead } from './engine-overhead.js';
import { benchAmpStep } from './amp-step.js';
import { benchFcnR18Step } from './fcn-r18-step.js';

const rows: StepComparison[] = [];
console.log(`libtorch ${torch.libtorchVersion()}, ${torch.getNumThreads()} threads; medians over alternating rounds`);
rows.push(await benchFcnStep());
rows.push(await benchFcnR18Step());

const pad = (s: string, n: number): string => s.padEnd(n);
console.log();
console.log(`${pad('benchmark', 48)}${pad('segkit ms', 12)}${pad('PyTorch ms', 12)}segkit/PyTorch`);
for (const r of rows) {
  console.log(`${pad(r.name, 48)}${pad(r.segkitMs.toFixed(2), 12)}${pad(r.pytorchMs.toFixed(2), 12)}${r.ratio.toFixed(3)}`);
}

console.log();
console.log(formatEngineOverhead(await benchEngineOverhead()));

const amp = await benchAmpStep();
console.log();
console.log(`${amp.name}: fp32 ${amp.fp32Ms.toFixed(1)} ms, bf16 autocast (AmpOptimWrapper) ${amp.bf16Ms.toFixed(1)} ms, speed-up ${amp.speedup.toFixed(2)}x`);
