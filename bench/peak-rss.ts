// Peak RSS of a 500-iteration training run: `fcn_r18-d8_80k_camvid-160x160` narrowed (ResNetV1c-18 with
// base/stem channels 16, heads 32/16) on 64x64 CamVid crops, batch 4, num_workers 0, built by
// buildRunner in a fresh child process, against the same network, data pipeline and steps in plain
// PyTorch (bench/peak_rss.py). Each side reports its peak (VmHWM) after 50 iterations and at the
// end, so growth over the run shows. Not getrusage's maxRSS: Linux carries it across fork + exec, so
// a child spawned by a large parent (npm run bench after the step benchmarks) reports the parent's size.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { loadConfig } from '../src/engine/index.js';
import { Hook } from '../src/engine/hooks/hook.js';
import { buildRunner } from '../src/engine/runner/build.js';
import type { Runner } from '../src/engine/runner/runner.js';
import '../src/seg/index.js';
import { CAMVID_ROOT } from './data-pipeline.js';

const CONFIG = fileURLToPath(new URL('../../configs/fcn/fcn_r18-d8_80k_camvid-160x160.ts', import.meta.url));
const PY_SCRIPT = fileURLToPath(new URL('../../bench/peak_rss.py', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

export interface PeakRssOptions {
  iters?: number;
  /** The iteration after which the early peak is read. */
  probe?: number;
  batchSize?: number;
  cropSize?: number;
}
const DEFAULTS: Required<PeakRssOptions> = { iters: 500, probe: 50, batchSize: 4, cropSize: 64 };
const NET = { stem_channels: 16, base_channels: 16, head_channels: 32, aux_channels: 16 };

/** KiB: the peak so far (VmHWM) and the current resident set. */
export interface RssPoint { max_rss_kib: number; rss_kib: number }
export interface RssRun { probe: RssPoint; end: RssPoint; seconds: number; iters: number }
export interface PeakRssResult {
  name: string;
  probe: number;
  segkit: RssRun;
  pytorch: RssRun;
  /** segkit / PyTorch peak at the end. */
  ratio: number;
}

const statusKib = (key: string): number => {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
  if (!line) throw new Error(`peak-rss: /proc/self/status has no ${key}`);
  return Number(line.split(/\s+/)[1]);
};
const rssNow = (): RssPoint => ({ max_rss_kib: statusKib('VmHWM'), rss_kib: statusKib('VmRSS') });

class RssProbe extends Hook {
  static override priority = 'LOWEST';
  probe: RssPoint | null = null;
  constructor(readonly at: number) {
    super();
  }
  override afterTrainIter(runner: Runner): void {
    // runner.iter is the number of finished iterations once this (lowest-priority) hook runs.
    if (runner.iter + 1 === this.at || (this.probe === null && runner.iter + 1 > this.at)) this.probe = rssNow();
  }
}

/** The child: one training run by buildRunner, printing an RssRun as JSON on its last line. */
async function childRun(o: Required<PeakRssOptions>): Promise<void> {
  const cfg = structuredClone((await loadConfig(CONFIG)).dict) as Record<string, any>;
  const workDir = mkdtempSync(join(tmpdir(), 'segkit-peak-rss-'));
  try {
    const crop = [o.cropSize, o.cropSize];
    cfg.work_dir = workDir;
    cfg.model.data_preprocessor = { ...cfg.model.data_preprocessor, size: crop };
    Object.assign(cfg.model.backbone, { stem_channels: NET.stem_channels, base_channels: NET.base_channels });
    Object.assign(cfg.model.decode_head, { in_channels: 8 * NET.base_channels, channels: NET.head_channels });
    Object.assign(cfg.model.auxiliary_head, { in_channels: 4 * NET.base_channels, channels: NET.aux_channels });
    const train = cfg.train_dataloader;
    train.batch_size = o.batchSize;
    train.num_workers = 0;
    train.persistent_workers = false;
    train.dataset.data_root = CAMVID_ROOT;
    const cropStep = train.dataset.pipeline.find((t: { type: string }) => t.type === 'RandomCrop');
    cropStep.crop_size = crop;
    for (const key of ['val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg', 'test_evaluator']) delete cfg[key];
    cfg.train_cfg = { type: 'IterBasedTrainLoop', max_iters: o.iters, val_interval: o.iters + 1 };
    cfg.param_scheduler = [{ type: 'PolyLR', eta_min: 1e-4, power: 0.9, begin: 0, end: o.iters, by_epoch: false }];
    cfg.default_hooks.checkpoint = { type: 'CheckpointHook', by_epoch: false, interval: o.iters * 10, save_last: false };
    cfg.randomness = { seed: 0 };
    const runner = buildRunner(cfg, { quiet: true, filename: CONFIG });
    const probe = new RssProbe(o.probe);
    runner.registerHook(probe);
    const t0 = performance.now();
    await runner.train();
    const seconds = (performance.now() - t0) / 1000;
    if (!probe.probe) throw new Error(`peak-rss: the run ended before iteration ${o.probe}`);
    console.log(JSON.stringify({ probe: probe.probe, end: rssNow(), seconds, iters: runner.iter } satisfies RssRun));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const lastJson = <T>(out: Buffer): T => JSON.parse(out.toString().trim().split('\n').at(-1)!) as T;

export function benchPeakRss(opts: PeakRssOptions = {}): PeakRssResult {
  const o = { ...DEFAULTS, ...opts };
  const threads = String(torch.getNumThreads());
  const env = { ...process.env, SEGKIT_NUM_THREADS: threads, OMP_NUM_THREADS: threads };
  const segkit = lastJson<RssRun>(execFileSync(process.execPath, [SELF, '--child', JSON.stringify(o)], { env, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] }));
  const args = {
    ...NET, threads: Number(threads), root: CAMVID_ROOT, scale: [240, 180], ratio_range: [0.75, 1.5], crop_size: [o.cropSize, o.cropSize],
    batch_size: o.batchSize, iters: o.iters, probe: o.probe,
  };
  const pytorch = lastJson<RssRun>(execFileSync('/usr/bin/python3', [PY_SCRIPT, JSON.stringify(args)], { env, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] }));
  return {
    name: `peak RSS, ${o.iters}-iter train run (narrow fcn_r18-d8, CamVid ${o.cropSize}x${o.cropSize} crops, batch ${o.batchSize}, 0 workers)`,
    probe: o.probe, segkit, pytorch, ratio: segkit.end.max_rss_kib / pytorch.end.max_rss_kib,
  };
}

export function formatPeakRss(r: PeakRssResult): string {
  const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
  const side = (name: string, s: RssRun): string =>
    `  ${name.padEnd(8)} peak ${mib(s.end.max_rss_kib)} (after ${r.probe} iters ${mib(s.probe.max_rss_kib)}), `
    + `RSS at end ${mib(s.end.rss_kib)}, ${s.iters} iters in ${s.seconds.toFixed(0)} s`;
  return [`${r.name}: segkit/PyTorch peak ${r.ratio.toFixed(2)}`, side('segkit', r.segkit), side('PyTorch', r.pytorch)].join('\n');
}

if (process.argv[1] === SELF) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) await childRun({ ...DEFAULTS, ...(JSON.parse(process.argv[i + 1]!) as PeakRssOptions) });
  else console.log(formatPeakRss(benchPeakRss()));
}
