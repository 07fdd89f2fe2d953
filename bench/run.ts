// `npm run bench`: every benchmark, each segkit figure beside its PyTorch counterpart from the same run.
// `npm run bench -- data-pipeline peak-rss` runs only the named ones (names in BENCHES).
import * as torch from '../src/torch/index.js';
import { benchFcnStep, type StepComparison } from './fcn-step.js';
import { benchEngineOverhead, formatEngineOverhead } from './engine-overhead.js';
import { benchAmpStep, formatAmpStep } from './amp-step.js';
import { benchFcnR18Step } from './fcn-r18-step.js';
import { benchSegformerStep } from './segformer-step.js';
import { benchDataPipeline } from './data-pipeline.js';
import { benchPeakRss, formatPeakRss } from './peak-rss.js';
import { benchDdp, formatDdp } from './ddp.js';

/** One table row: each cell carries its unit; the ratio is segkit / counterpart. */
interface Row { name: string; segkit: string; pytorch: string; ratio: number }
const rows: Row[] = [];
const notes: string[] = [];
const stepRow = (r: StepComparison): Row => ({ name: r.name, segkit: `${r.segkitMs.toFixed(2)} ms`, pytorch: `${r.pytorchMs.toFixed(2)} ms`, ratio: r.ratio });
const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

const BENCHES: Record<string, () => Promise<void>> = {
  'fcn-step': async () => void rows.push(stepRow(await benchFcnStep())),
  'fcn-r18-step': async () => void rows.push(stepRow(await benchFcnR18Step())),
  'segformer-step': async () => void rows.push(stepRow(await benchSegformerStep())),
  'data-pipeline': async () => {
    const r = await benchDataPipeline();
    rows.push({ name: `${r.name} (images/s, higher is better)`, segkit: `${r.segkitImagesPerS.toFixed(1)} img/s`, pytorch: `${r.pythonImagesPerS.toFixed(1)} img/s`, ratio: r.ratio });
  },
  'peak-rss': async () => {
    const r = benchPeakRss();
    rows.push({ name: `${r.name}, peak after ${r.probe} iters`, segkit: mib(r.segkit.probe.max_rss_kib), pytorch: mib(r.pytorch.probe.max_rss_kib), ratio: r.segkit.probe.max_rss_kib / r.pytorch.probe.max_rss_kib });
    rows.push({ name: `${r.name}, peak at the end`, segkit: mib(r.segkit.end.max_rss_kib), pytorch: mib(r.pytorch.end.max_rss_kib), ratio: r.ratio });
    notes.push(formatPeakRss(r));
  },
  // No PyTorch run here: the row compares 2 DDP ranks with 1 process (ratio = 2 ranks / 1 rank throughput).
  ddp: async () => {
    const r = await benchDdp();
    rows.push({ name: `${r.name} (img/s; 2nd column: 1 rank)`, segkit: `${r.twoRanksImgPerS.toFixed(1)} img/s`, pytorch: `${r.oneRankImgPerS.toFixed(1)} img/s`, ratio: r.ratio });
    notes.push(formatDdp(r));
  },
  'engine-overhead': async () => void notes.push(formatEngineOverhead(await benchEngineOverhead())),
  'amp-step': async () => {
    const amp = await benchAmpStep();
    rows.push({ name: `${amp.name}, fp32`, segkit: `${amp.fp32Ms.toFixed(2)} ms`, pytorch: `${amp.pytorchFp32Ms.toFixed(2)} ms`, ratio: amp.fp32Ms / amp.pytorchFp32Ms });
    rows.push({ name: `${amp.name}, bf16 autocast`, segkit: `${amp.bf16Ms.toFixed(2)} ms`, pytorch: `${amp.pytorchBf16Ms.toFixed(2)} ms`, ratio: amp.bf16Ms / amp.pytorchBf16Ms });
    notes.push(formatAmpStep(amp));
  },
};

const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !(n in BENCHES));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.map((n) => `'${n}'`).join(', ')}; expected any of ${Object.keys(BENCHES).join(', ')} (none: all)`);
  process.exit(2);
}
console.log(`libtorch ${torch.libtorchVersion()}, ${torch.getNumThreads()} threads; medians over alternating rounds`);
for (const name of asked.length ? asked : Object.keys(BENCHES)) await BENCHES[name]!();

const pad = (s: string, n: number): string => s.padEnd(n);
if (rows.length) {
  const w = Math.max(48, ...rows.map((r) => r.name.length + 2));
  console.log();
  console.log(`${pad('benchmark', w)}${pad('segkit', 16)}${pad('PyTorch', 16)}segkit/PyTorch`);
  for (const r of rows) console.log(`${pad(r.name, w)}${pad(r.segkit, 16)}${pad(r.pytorch, 16)}${r.ratio.toFixed(3)}`);
}
for (const note of notes) {
  console.log();
  console.log(note);
}
