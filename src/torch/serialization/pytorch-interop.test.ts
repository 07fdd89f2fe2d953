// Files written by Debian's PyTorch 1.13 load in segkit (zip and legacy), segkit's files load
// in PyTorch (weights_only=True), and malicious or foreign pickles are handled safely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../index.js';
import { runPyTorch } from '../testing/pytorch.js';
import { loadTorchFile, saveTorchFile, OrderedDict, PyTuple, PickleRecord, NumpyArray, tuple, UnsafePickleError } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'segkit-pth-'));
const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool'] as const;

const WRITE_PY = (file: string, legacy: boolean): string => `
import collections
base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 4
typed = {d: torch.tensor([0, 1, 2, 3, 100, 127]).to(getattr(torch, d)).reshape(2, 3) for d in ${JSON.stringify(DTYPES)}}
sd = collections.OrderedDict([('b.weight', base), ('a.t', base.t()), ('a.row', base[2]), ('a.col', base[:, 3])])
obj = {'state_dict': sd, 'typed': typed, 'nested': {'list': [1, (2, 'x'), None], 'big': 2**70, 'neg': -(2**65),
       'f': 0.25, 'flag': True, 'off': False, 'bytes': b'\\x00\\xff', 'text': 'h\\u00e9'},
       'param': torch.nn.Parameter(torch.ones(2))}
torch.save(obj, ${JSON.stringify(file)}${legacy ? ', _use_new_zipfile_serialization=False' : ''})
out['base'] = base
for d in typed: out['t_' + d] = typed[d].to(torch.float64)
`;

for (const legacy of [false, true]) {
  test(`a ${legacy ? 'legacy (non-zip)' : 'zip'} torch.save file loads with every dtype, views, nesting, big ints`, () => {
    const file = join(dir, legacy ? 'legacy.pth' : 'zip.pth');
    const ref = runPyTorch(WRITE_PY(file, legacy));
    const r = loadTorchFile(file) as {
      state_dict: OrderedDict<string, torch.Tensor>; typed: Record<string, torch.Tensor>; nested: Record<string, unknown>; param: torch.Tensor;
    };
    assert.ok(r.state_dict instanceof OrderedDict);
    assert.deepEqual([...r.state_dict.keys()], ['b.weight', 'a.t', 'a.row', 'a.col']);
    const base = ref.base!.toArray();
    assert.deepEqual(r.state_dict.get('b.weight')!.toArray(), base);
    assert.deepEqual(r.state_dict.get('a.t')!.shape, [6, 4]);
    assert.deepEqual(r.state_dict.get('a.row')!.toArray(), base.slice(12, 18));
    assert.deepEqual(r.state_dict.get('a.col')!.toArray(), [3, 9, 15, 21].map((i) => base[i]));
    // One storage: writing through the base shows in the column view.
    r.state_dict.get('b.weight')!.zero_();
    assert.deepEqual(r.state_dict.get('a.col')!.toArray(), [0, 0, 0, 0]);
    for (const d of DTYPES) {
      assert.equal(r.typed[d]!.dtype, d);
      assert.deepEqual(r.typed[d]!.toArray(), ref[`t_${d}`]!.toArray(), d);
    }
    const n = r.nested;
    assert.deepEqual(n.list, [1, PyTuple.of<unknown>(2, 'x'), null]);
    assert.equal(n.big, 2n ** 70n);
    assert.equal(n.neg, -(2n ** 65n));
    assert.equal(n.f, 0.25);
    assert.equal(n.flag, true);
    assert.equal(n.off, false);
    assert.deepEqual([...(n.bytes as Uint8Array)], [0, 255]);
    assert.equal(n.text, 'hé');
    assert.deepEqual(r.param.toArray(), [1, 1]);
  });
}

test('a segkit-written .pth loads in PyTorch 1.13 with weights_only=True: dtypes, views, containers, ints, strings', () => {
  const file = join(dir, 'from-segkit.pth');
  const base = torch.arange(12, undefined, 1, { dtype: 'float32' }).reshape(3, 4);
  const typed: Record<string, torch.Tensor> = {};
  for (const d of DTYPES) typed[d] = torch.tensor(d === 'bool' ? [0, 1, 1, 0, 1, 0] : [0, 1, 2, 3, 100, 127], { dtype: d }).reshape(2, 3);
  const sd = new OrderedDict<string, torch.Tensor>([['w', base], ['wt', base.t()], ['col', base.select(1, 2)]]);
  saveTorchFile({ state_dict: sd, typed, meta: { iter: 5, name: 'segkit', big: 2n ** 66n, neg: -7, list: [1, null, true], pair: tuple<unknown>(1, 'b'), ids: new Map([[0, 'a'], [1, 'b']]) } }, file);
  const ref = runPyTorch(`
import collections
d = torch.load(${JSON.stringify(file)}, weights_only=True)
sd = d['state_dict']
m = d['meta']
ok = [isinstance(sd, collections.OrderedDict), list(sd.keys()) == ['w', 'wt', 'col'],
      sd['col'].data_ptr() - sd['w'].data_ptr() == 8, sd['wt'].stride() == (1, 4),
      m == {'iter': 5, 'name': 'segkit', 'big': 2**66, 'neg': -7, 'list': [1, None, True], 'pair': (1, 'b'), 'ids': {0: 'a', 1: 'b'}},
      all(d['typed'][k].dtype == getattr(torch, k) for k in d['typed'])]
out['ok'] = torch.tensor([float(x) for x in ok])
out['w'] = sd['w']; out['wt'] = sd['wt']; out['col'] = sd['col']
for k, v in d['typed'].items(): out['t_' + k] = v.to(torch.float64)
`);
  assert.deepEqual(ref.ok!.toArray(), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(ref.w!.toArray(), base.toArray());
  assert.deepEqual(ref.wt!.toArray(), base.t().toArray());
  assert.deepEqual(ref.col!.toArray(), [2, 6, 10]);
  for (const d of DTYPES) assert.deepEqual(ref[`t_${d}`]!.toArray(), typed[d]!.toArray(), d);
});

test('floats need PyTorch >= 2 for weights_only (1.13 lacks the opcode) but load in 1.13 without it', () => {
  const file = join(dir, 'floats.pth');
  saveTorchFile({ lr: 0.01, loss: -2.5 }, file);
  const ref = runPyTorch(`
d = torch.load(${JSON.stringify(file)})
out['v'] = torch.tensor([d['lr'], d['loss']], dtype=torch.float64)
`);
  assert.deepEqual(ref.v!.toArray(), [0.01, -2.5]);
});

test('a malicious pickle (os.system in __reduce__) is refused by name and nothing runs', () => {
  const file = join(dir, 'evil.pth');
  const marker = join(dir, 'pwned');
  runPyTorch(`
import os, pickle, zipfile
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ${marker}',))
with zipfile.ZipFile(${JSON.stringify(file)}, 'w') as z:
    z.writestr('evil/data.pkl', pickle.dumps({'state_dict': {}, 'x': Evil()}, protocol=2))
    z.writestr('evil/version', '3\\n')
`);
  assert.throws(() => loadTorchFile(file), (err: Error) => err instanceof UnsafePickleError && /evil\.pth: refusing to load 'posix\.system'/.test(err.message));
  assert.equal(existsSync(marker), false);
  // builtins.eval and subprocess are refused the same way.
  for (const [mod, name] of [['builtins', 'eval'], ['subprocess', 'Popen'], ['builtins', 'getattr']]) {
    const p = join(dir, `${name}.pth`);
    runPyTorch(`
import pickle, zipfile
body = b'\\x80\\x02c${mod}\\n${name}\\nX\\x01\\x00\\x00\\x001\\x85R.'
with zipfile.ZipFile(${JSON.stringify(p)}, 'w') as z:
    z.writestr('a/data.pkl', body)
`);
    assert.throws(() => loadTorchFile(p), new RegExp(`refusing to load '${mod}\\.${name}'`));
  }
});

test('MMEngine objects outside state_dict load as inert records (numpy inside); inside state_dict they are refused', () => {
  const file = join(dir, 'mmseg-like.pth');
  const bad = join(dir, 'bad-sd.pth');
  runPyTorch(`
import sys, types, collections, numpy as np
for name in ['mmengine', 'mmengine.logging', 'mmengine.logging.history_buffer']:
    sys.modules[name] = types.ModuleType(name)
class HistoryBuffer:
    def __init__(self):
        self._log_history = np.array([0.5, 0.25])
        self._count_history = np.array([1, 2], dtype=np.int64)
        self.max_length = 1000000
HistoryBuffer.__module__ = 'mmengine.logging.history_buffer'
sys.modules['mmengine.logging.history_buffer'].HistoryBuffer = HistoryBuffer
ckpt = {'meta': {'iter': 3, 'mmengine_version': '0.10.7', 'dataset_meta': {'classes': ('a', 'b')}},
        'state_dict': collections.OrderedDict(w=torch.ones(2)),
        'message_hub': {'log_scalars': {'train/loss': HistoryBuffer()}, 'runtime_info': {'iter': np.int64(3), 'lr': np.float64(0.5)}}}
torch.save(ckpt, ${JSON.stringify(file)})
ckpt['state_dict']['hb'] = HistoryBuffer()
torch.save(ckpt, ${JSON.stringify(bad)})
`);
  const r = loadTorchFile(file) as { meta: Record<string, unknown>; state_dict: Map<string, torch.Tensor>; message_hub: { log_scalars: Record<string, PickleRecord>; runtime_info: Record<string, unknown> } };
  assert.equal(r.meta.iter, 3);
  assert.deepEqual(r.meta.dataset_meta, { classes: PyTuple.of('a', 'b') });
  assert.deepEqual(r.state_dict.get('w')!.toArray(), [1, 1]);
  const hb = r.message_hub.log_scalars['train/loss']!;
  assert.ok(hb instanceof PickleRecord);
  assert.equal(hb.__class__, 'mmengine.logging.history_buffer.HistoryBuffer');
  const state = hb.state as Record<string, unknown>;
  assert.ok(state._log_history instanceof NumpyArray);
  assert.deepEqual([...(state._log_history as NumpyArray).data as Float64Array], [0.5, 0.25]);
  assert.deepEqual([...(state._count_history as NumpyArray).data as BigInt64Array], [1n, 2n]);
  assert.equal(state.max_length, 1000000);
  assert.deepEqual(r.message_hub.runtime_info, { iter: 3, lr: 0.5 });
  assert.throws(() => loadTorchFile(bad), /bad-sd\.pth: state_dict\.hb: a state_dict may hold only tensors and containers, found an object of class mmengine\.logging\.history_buffer\.HistoryBuffer/);
  assert.throws(() => loadTorchFile(file, { weightsOnly: true }), /HistoryBuffer' is not allowed when loading weights only/);
});

test('a truncated .pth and a missing file are reported with their names', () => {
  const file = join(dir, 'cut.pth');
  saveTorchFile({ w: torch.ones([100]) }, file);
  writeFileSync(file, readFileSync(file).subarray(0, 300));
  assert.throws(() => loadTorchFile(file), /cut\.pth: corrupt zip archive/);
  assert.throws(() => loadTorchFile(join(dir, 'none.pth')), /none\.pth: checkpoint file not found/);
});
