import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../engine/visualization/image.js';
import { registerTest } from './test.js';
import { runCommand, tinyProject } from './seg-cli-fixture.js';

test('segkit test loads the checkpoint, prints MMSeg\'s metrics, writes predictions (--out) and drawings (--show-dir)', async () => {
  const { dir, ckpt, config } = await tinyProject(2);
  const out = join(dir, 'preds');
  const show = join(dir, 'show');
  const printed = await runCommand(registerTest, ['test', config, ckpt, '--work-dir', join(dir, 'work'), '--out', out, '--show-dir', show,
    '--cfg-options', 'default_hooks.visualization.interval=1']);
  // Two images: intersections [480, 480, 416], labels [480, 512, 416], unions [480, 512, 448] (see writeTinyData).
  assert.match(printed, /^aAcc: 97\.73 {2}mIoU: 95\.54 {2}mAcc: 97\.92$/m);
  assert.deepEqual(readdirSync(out).sort(), ['tiny_000.png', 'tiny_001.png']);
  const pred = await decodeImage(join(out, 'tiny_001.png'));
  assert.deepEqual([pred.data[0], pred.data[10 * 32], pred.data[20 * 32]], [0, 1, 2], 'bands predicted as blue, green, red');
  assert.deepEqual(readdirSync(join(show, 'vis_data', 'vis_image')).sort(), ['test_tiny_000.png_0.png', 'test_tiny_001.png_0.png']);
  const drawn = await decodeImage(join(show, 'vis_data', 'vis_image', 'test_tiny_000.png_0.png'));
  assert.deepEqual([drawn.height, drawn.width], [24, 64], 'ground truth and prediction side by side');
});

test('segkit test without the checkpoint file or with --format-only but no --out fails with a clear error', async () => {
  const { dir, config } = await tinyProject(1);
  await assert.rejects(runCommand(registerTest, ['test', config, join(dir, 'missing.ckpt'), '--work-dir', join(dir, 'work')]), /missing\.ckpt: checkpoint file not found/);
  await assert.rejects(runCommand(registerTest, ['test', config, join(dir, 'tiny.ckpt'), '--format-only']), /--format-only: needs --out/);
});

test('--format-only writes predictions and computes no metrics', async () => {
  const { dir, ckpt, config } = await tinyProject(1);
  const printed = await runCommand(registerTest, ['test', config, ckpt, '--work-dir', join(dir, 'work'), '--out', join(dir, 'o'), '--format-only']);
  assert.match(printed, /no metrics \(format only\)/);
  assert.deepEqual(readdirSync(join(dir, 'o')), ['tiny_000.png']);
});

test('--tta with only the identity augmentation (twice) scores exactly the plain test and writes the same predictions', async () => {
  const { dir, ckpt, config } = await tinyProject(2);
  const cfg = JSON.parse(readFileSync(config, 'utf8')) as Record<string, Record<string, unknown>>;
  const ttaConfig = join(dir, 'tiny-tta.json');
  writeFileSync(ttaConfig, JSON.stringify({
    ...cfg,
    tta_model: { type: 'SegTTAModel' },
    // Two identical augmentations: the merged probabilities equal each one's.
    tta_pipeline: [{ type: 'TinyLoadImage' }, { type: 'TestTimeAug', transforms: [[{ type: 'TinyLoadAnnotations' }, { type: 'TinyLoadAnnotations' }], [{ type: 'TinyPackSegInputs' }]] }],
    // MMEngine's pseudo_collate lists each field per augmentation, as BaseTTAModel expects.
    test_dataloader: { ...cfg.test_dataloader, collate_fn: { type: 'pseudo_collate' } },
  }));
  const plain = await runCommand(registerTest, ['test', config, ckpt, '--work-dir', join(dir, 'w-plain'), '--out', join(dir, 'plain')]);
  const tta = await runCommand(registerTest, ['test', ttaConfig, ckpt, '--tta', '--work-dir', join(dir, 'w-tta'), '--out', join(dir, 'tta')]);
  assert.match(tta, /^aAcc: 97\.73 {2}mIoU: 95\.54 {2}mAcc: 97\.92$/m, 'the checkpoint loaded into the wrapped model');
  assert.equal(tta.split('\n')[0], plain.split('\n')[0]);
  assert.deepEqual(readdirSync(join(dir, 'tta')).sort(), ['tiny_000.png', 'tiny_001.png']);
  for (const name of ['tiny_000.png', 'tiny_001.png']) {
    assert.deepEqual((await decodeImage(join(dir, 'tta', name))).data, (await decodeImage(join(dir, 'plain', name))).data, name);
  }
});

test('--tta names what the config lacks: tta_model, tta_pipeline', async () => {
  const { dir, ckpt, config } = await tinyProject(1);
  const cfg = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
  await assert.rejects(runCommand(registerTest, ['test', config, ckpt, '--tta', '--work-dir', join(dir, 'w')]), /tiny\.json: tta_model: --tta needs tta_model in the config/);
  const noPipeline = join(dir, 'no-pipeline.json');
  writeFileSync(noPipeline, JSON.stringify({ ...cfg, tta_model: { type: 'SegTTAModel' } }));
  await assert.rejects(runCommand(registerTest, ['test', noPipeline, ckpt, '--tta', '--work-dir', join(dir, 'w')]), /no-pipeline\.json: tta_pipeline: --tta needs tta_pipeline in the config/);
});
