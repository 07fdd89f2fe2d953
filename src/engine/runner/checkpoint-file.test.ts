import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { saveCheckpointFile, loadCheckpointFile } from './checkpoint-file.js';

test('round trip keeps nesting, Maps in order, non-finite numbers and tensors of every dtype', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-ckpt-'));
  const file = join(dir, 'a.ckpt');
  const weights = new Map<string, torch.Tensor>([
    ['b.weight', torch.tensor([[1.5, -2], [3, 4]])],
    ['a.bias', torch.tensor([1, 2, 3], { dtype: 'int64' })],
  ]);
  const state = {
    meta: { iter: 7, name: 'x', nan: NaN, inf: -Infinity, list: [1, 'two', null, true] },
    state_dict: weights,
    extra: {
      half: torch.tensor([0.5, 1.25], { dtype: 'float16' }),
      bf16: torch.tensor([2.5], { dtype: 'bfloat16' }),
      mask: torch.tensor([true, false]),
      bytes: torch.tensor(new Uint8Array([0, 255])),
      empty: torch.zeros([0, 3]),
      scalar: torch.tensor(3.25),
    },
  };
  saveCheckpointFile(state, file);
  const back = loadCheckpointFile(file) as typeof state;
  assert.equal(back.meta.iter, 7);
  assert.ok(Number.isNaN(back.meta.nan));
  assert.equal(back.meta.inf, -Infinity);
  assert.deepEqual(back.meta.list, [1, 'two', null, true]);
  assert.ok(back.state_dict instanceof Map);
  assert.deepEqual([...back.state_dict.keys()], ['b.weight', 'a.bias']);
  assert.deepEqual(back.state_dict.get('b.weight')!.tolist(), [[1.5, -2], [3, 4]]);
  assert.equal(back.state_dict.get('a.bias')!.dtype, 'int64');
  assert.deepEqual(back.state_dict.get('a.bias')!.toArray(), [1, 2, 3]);
  assert.equal(back.extra.half.dtype, 'float16');
  assert.deepEqual(back.extra.half.toArray(), [0.5, 1.25]);
  assert.equal(back.extra.bf16.dtype, 'bfloat16');
  assert.deepEqual(back.extra.bf16.toArray(), [2.5]);
  assert.deepEqual(back.extra.mask.toArray(), [1, 0]);
  assert.deepEqual(back.extra.bytes.toArray(), [0, 255]);
  assert.deepEqual(back.extra.empty.shape, [0, 3]);
  assert.deepEqual(back.extra.scalar.shape, []);
  assert.equal(back.extra.scalar.item(), 3.25);
});

test('a file that is not a checkpoint, or is cut short, is refused with its name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-ckpt-'));
  const junk = join(dir, 'junk.ckpt');
  writeFileSync(junk, 'hello world, not a checkpoint at all');
  assert.throws(() => loadCheckpointFile(junk), /junk\.ckpt: not a segkit checkpoint/);
  const file = join(dir, 'cut.ckpt');
  saveCheckpointFile({ w: torch.randn([1000]) }, file);
  truncateSync(file, statSync(file).size - 100);
  assert.throws(() => loadCheckpointFile(file), /cut\.ckpt: truncated checkpoint/);
  assert.throws(() => loadCheckpointFile(join(dir, 'none.ckpt')), /none\.ckpt: checkpoint file not found/);
  assert.throws(() => saveCheckpointFile({ f: new Date() } as never, join(dir, 'x.ckpt')), /cannot save f \(a Date\)/);
});

test('a process killed while saving never leaves a broken file under the final name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-ckpt-'));
  const file = join(dir, 'latest.ckpt');
  saveCheckpointFile({ round: -1, w: torch.zeros([4]) }, file);
  const moduleUrl = new URL('./checkpoint-file.js', import.meta.url).href;
  const torchUrl = new URL('../../torch/index.js', import.meta.url).href;
  // The child rewrites the same checkpoint (~40 MB each) as fast as it can until it is killed.
  const script = `
    const { saveCheckpointFile } = await import(${JSON.stringify(moduleUrl)});
    const torch = await import(${JSON.stringify(torchUrl)});
    const w = torch.randn([10_000_000]);
    for (let round = 0; ; round++) { saveCheckpointFile({ round, w }, ${JSON.stringify(file)}); process.stdout.write('saved ' + round + '\\n'); }
  `;
  for (let attempt = 0; attempt < 3; attempt++) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (/saved \d+/.test(out)) {
          clearInterval(poll);
          // Land somewhere inside the next write.
          setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 5 + attempt * 37);
        }
      }, 5);
    });
    await new Promise((resolve) => child.on('exit', resolve));
    const ckpt = loadCheckpointFile(file) as { round: number; w: torch.Tensor };
    assert.ok(Number.isInteger(ckpt.round), `round ${ckpt.round}`);
    assert.ok(ckpt.round === -1 || ckpt.w.numel === 10_000_000);
  }
  assert.ok(readFileSync(file).subarray(0, 8).toString() === 'SEGKITCK');
});

test('loadCheckpointFile reads PyTorch .pth files by content: a bare state_dict is wrapped as { state_dict }', async () => {
  const { saveTorchFile, OrderedDict } = await import('../../torch/serialization/index.js');
  const { checkpointFormat } = await import('./checkpoint-file.js');
  const dir = mkdtempSync(join(tmpdir(), 'segkit-ckpt-'));
  const bare = join(dir, 'weights.bin');
  saveTorchFile(new OrderedDict([['conv.weight', torch.tensor([1, 2])]]), bare);
  const ckpt = loadCheckpointFile(bare) as { state_dict: Map<string, torch.Tensor> };
  assert.deepEqual(ckpt.state_dict.get('conv.weight')!.toArray(), [1, 2]);
  const full = join(dir, 'full.pth');
  saveTorchFile({ meta: { iter: 2 }, state_dict: new OrderedDict([['w', torch.ones([2])]]) }, full);
  assert.equal((loadCheckpointFile(full).meta as { iter: number }).iter, 2);
  assert.equal(checkpointFormat(full), 'torch-zip');
  const own = join(dir, 'own.ckpt');
  saveCheckpointFile({ w: torch.ones([1]) }, own);
  assert.equal(checkpointFormat(own), 'segkit');
  writeFileSync(join(dir, 'junk'), 'nothing here');
  assert.throws(() => checkpointFormat(join(dir, 'junk')), /junk: not a segkit checkpoint or a PyTorch \.pth file/);
});
