// `segkit convert` both ways, and `segkit train` starting from a PyTorch .pth via load_from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../torch/index.js';
import { runPyTorch } from '../torch/testing/pytorch.js';
import { loadCheckpointFile } from '../engine/runner/checkpoint-file.js';
import { convertCheckpoint } from './convert.js';

const BIN = fileURLToPath(new URL('../../../bin/segkit.js', import.meta.url));
const TOY = fileURLToPath(new URL('../engine/testing/toy.js', import.meta.url));
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });

function writeConfig(dir: string, over: Record<string, unknown> = {}): string {
  const loader = { batch_size: 4, num_workers: 0, sampler: { type: 'DefaultSampler', shuffle: true }, dataset: { type: 'ToyDataset', size: 16 } };
  const cfg = {
    custom_imports: { imports: [TOY] },
    model: { type: 'ToyModel' },
    train_dataloader: loader,
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 4, val_interval: 100 },
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } },
    default_hooks: { checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 4 }, logger: { type: 'LoggerHook', interval: 2 } },
    log_processor: { by_epoch: false },
    randomness: { seed: 1 },
    ...over,
  };
  const file = join(dir, `toy-${Object.keys(over).join('-') || 'base'}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

test('segkit convert: a trained .ckpt becomes an MMSeg-layout .pth that PyTorch reads; load_from takes it back through segkit train', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-convert-'));
  const work = join(dir, 'work');
  let r = run(['train', writeConfig(dir), '--work-dir', work], dir);
  assert.equal(r.status, 0, r.stderr);
  const ckpt = join(work, 'iter_4.ckpt');
  const pth = join(dir, 'iter_4.pth');
  r = run(['convert', ckpt, pth], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /iter_4\.pth: wrote a PyTorch \.pth with 2 weight tensors/);

  const source = loadCheckpointFile(ckpt) as { state_dict: Map<string, torch.Tensor> };
  const weight = source.state_dict.get('linear.weight')!;
  // PyTorch 1.13's weights_only reader has no float opcode, so the full file (lr...) loads with the plain reader.
  const ref = runPyTorch(`
import collections
d = torch.load(${JSON.stringify(pth)})
sd, opt, meta = d['state_dict'], d['optimizer'], d['meta']
ok = [isinstance(sd, collections.OrderedDict), list(sd.keys()) == ['linear.weight', 'linear.bias'],
      meta['iter'] == 4 and meta['segkit_version'] == '0.1.0' and meta['seed'] == 1,
      sorted(opt['state'].keys()) == [0, 1], opt['param_groups'][0]['params'] == [0, 1],
      abs(opt['param_groups'][0]['momentum'] - 0.9) < 1e-12, isinstance(d['param_schedulers'], list) if 'param_schedulers' in d else True,
      opt['state'][0]['momentum_buffer'].shape == (1, 4)]
out['ok'] = torch.tensor([float(x) for x in ok])
out['w'] = sd['linear.weight']
# An MMSeg-style file for load_from: DataParallel prefix, an extra key, a mis-shaped key.
new = collections.OrderedDict(('module.' + k, v) for k, v in sd.items())
new['module.extra.weight'] = torch.zeros(3)
new['module.linear.bias'] = torch.zeros(2)
torch.save({'meta': {'iter': 7}, 'state_dict': new}, ${JSON.stringify(join(dir, 'mmseg.pth'))})
`);
  assert.deepEqual(ref.ok!.toArray(), [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(ref.w!.toArray().map((v) => Math.fround(v)), weight.toArray());

  // load_from: x.pth through segkit train: weights load, one warning lists every mismatch.
  r = run(['train', writeConfig(dir, { load_from: join(dir, 'mmseg.pth') }), '--work-dir', join(dir, 'work2')], dir);
  assert.equal(r.status, 0, r.stderr);
  const logDir = readdirSync(join(dir, 'work2')).find((f) => /^\d{8}_\d{6}$/.test(f))!;
  const log = readFileSync(join(dir, 'work2', logDir, `${logDir}.log`), 'utf8');
  assert.match(log, /mmseg\.pth: The model and loaded state dict do not match exactly/);
  assert.match(log, /size mismatch for linear\.bias: copying a param with shape \[2\] from checkpoint, the shape in current model is \[1\]\./);
  assert.match(log, /unexpected key in source state_dict: extra\.weight/);
  // As MMEngine: a skipped mis-shaped key is reported as a size mismatch, not also as missing.
  assert.doesNotMatch(log, /missing keys in source state_dict/);
  assert.match(log, /Load checkpoint from .*mmseg\.pth/);

  // .pth -> .ckpt: weights and plain meta come back.
  const back = join(dir, 'back.ckpt');
  const result = convertCheckpoint(pth, back);
  assert.equal(result.direction, 'pth-to-ckpt');
  const reread = loadCheckpointFile(back) as { meta: { iter: number }; state_dict: Map<string, torch.Tensor> };
  assert.equal(reread.meta.iter, 4);
  assert.deepEqual(reread.state_dict.get('linear.weight')!.toArray(), weight.toArray());
  assert.ok(result.dropped.some((d) => d.startsWith('optimizer')));
});

test('segkit convert names a missing or corrupt input file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-convert-'));
  let r = run(['convert', join(dir, 'nope.ckpt'), join(dir, 'out.pth')], dir);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /nope\.ckpt: checkpoint file not found/);
  writeFileSync(join(dir, 'junk.pth'), 'PK\x03\x04 not really a zip');
  r = run(['convert', join(dir, 'junk.pth'), join(dir, 'out.ckpt')], dir);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /junk\.pth: corrupt zip archive/);
});
