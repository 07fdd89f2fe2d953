// CI check of real training: the CPU-sized UNet-S5-D16 + FCN DRIVE config, shortened to a few
// hundred seeded iterations, must beat the no-learning green-channel top-hat on vessel Dice inside
// the field of view, on all 20 test images with whole-image inference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRunner, loadConfig } from '../engine/index.js';
import './index.js';
import { bestThresholdDice, driveBaselineInputs } from './evaluation/fov-dice.js';

const CONFIG = fileURLToPath(new URL('../../../configs/unet/unet-s5-d16_fcn_4xb4-cpu-5k_drive-64x64.ts', import.meta.url));
const DRIVE = fileURLToPath(new URL('../../../../shared/data/drive', import.meta.url));
const ITERS = Number(process.env.DRIVE_CI_ITERS ?? 1200);
/** Top-hat disk radius of the baseline: wider than DRIVE's widest vessels (~12 px). */
const TOPHAT_RADIUS = 6;

test(`DRIVE: UNet-S5-D16 (base 16) + FCN, ${ITERS} seeded CPU iterations, beats the green-channel top-hat inside the FOV`, { timeout: 900_000 }, async () => {
  const names = readdirSync(join(DRIVE, 'test', 'images')).filter((n) => n.endsWith('.png')).sort();
  assert.equal(names.length, 20);
  // The floor: the baseline's Dice inside the FOV at its best threshold on these same images (0.694; the issue measured 0.662 with its variant).
  const floor = bestThresholdDice(names.map((n) => driveBaselineInputs(join(DRIVE, 'test'), n, TOPHAT_RADIUS)));
  assert.ok(floor.dice > 0.6 && floor.dice < 0.8, `baseline Dice ${floor.dice} is out of the expected range`);

  const cfg = structuredClone((await loadConfig(CONFIG)).dict) as Record<string, any>;
  const workDir = mkdtempSync(join(tmpdir(), 'segkit-drive-ci-'));
  cfg.work_dir = workDir;
  cfg.randomness = { seed: 0 };
  cfg.env_cfg = { ...cfg.env_cfg, num_threads: 2 };
  cfg.train_cfg = { type: 'IterBasedTrainLoop', max_iters: ITERS, val_interval: ITERS + 1 };
  cfg.param_scheduler = [
    { type: 'LinearLR', start_factor: 0.1, begin: 0, end: 50, by_epoch: false },
    { type: 'PolyLR', eta_min: 1e-5, power: 0.9, begin: 50, end: ITERS, by_epoch: false },
  ];
  cfg.default_hooks.checkpoint = { type: 'CheckpointHook', by_epoch: false, interval: ITERS, save_last: false };
  cfg.default_hooks.logger = { type: 'LoggerHook', interval: 100, log_metric_by_epoch: false };
  cfg.val_dataloader = null;
  cfg.val_cfg = null;
  cfg.val_evaluator = null;
  cfg.train_dataloader.dataset.data_root = DRIVE;
  cfg.test_dataloader = { ...cfg.test_dataloader, num_workers: 2, persistent_workers: false, dataset: { ...cfg.test_dataloader.dataset, data_root: DRIVE } };
  // Whole-image inference; the UNet's 4 downsamplings need sides divisible by 16: pad 584x565 to 592x576.
  cfg.model.test_cfg = { mode: 'whole' };
  cfg.model.data_preprocessor = { ...cfg.model.data_preprocessor, test_cfg: { size_divisor: 16 } };

  try {
    const t0 = performance.now();
    const runner = buildRunner(cfg, { filename: CONFIG });
    await runner.train();
    const trainS = (performance.now() - t0) / 1000;
    const metrics = await runner.test();
    const fov = metrics.dice_fov as number;
    console.log(`DRIVE CI: ${ITERS} iters in ${trainS.toFixed(0)} s; 20 test images, whole-image inference: vessel Dice in FOV ${fov.toFixed(4)} `
      + `(floor ${floor.dice.toFixed(4)} at top-hat > ${floor.threshold}), whole image ${(metrics.dice_whole as number).toFixed(4)}; mDice ${metrics.mDice}`);
    assert.ok(fov > floor.dice, `vessel Dice inside the FOV ${fov} is not above the no-learning floor ${floor.dice}`);
    // The whole-image Dice only adds the dark border (background both ways), so it stays close to the FOV figure.
    assert.ok(Math.abs((metrics.dice_whole as number) - fov) < 0.05, `whole-image vessel Dice ${metrics.dice_whole} far from the FOV one ${fov}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});
