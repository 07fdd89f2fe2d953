// Module system against PyTorch: names, state dicts, modes, freezing, replacement and tidy survival.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor } from '../tensor.js';
import { ones, randn, tensor, zeros } from '../creation.js';
import { scopeDepth, tidy } from '../memory.js';
import { runPyTorch } from '../testing/pytorch.js';
import { native } from '../native.js';
import * as nn from './index.js';

/** The nested model of the tests; the same structure is built in PyTorch below. */
class Net extends nn.Module {
  scale: nn.Parameter;
  anchor: Tensor;
  stem: nn.Sequential;
  stages: nn.ModuleList<nn.Sequential>;
  head: nn.Linear;
  aux: nn.Linear;

  constructor() {
    super();
    this.stem = this.registerModule('stem', new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(8), new nn.ReLU({ inplace: true })));
    this.stages = this.registerModule('stages', new nn.ModuleList([
      new nn.Sequential(new nn.Conv2d(8, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU()),
      new nn.Sequential(new nn.Conv2d(8, 16, 1), new nn.GroupNorm(4, 16)),
    ]));
    this.anchor = this.registerBuffer('anchor', zeros([3]), false);
    this.head = this.registerModule('head', new nn.Linear(16, 4));
    // The same module under a second name: listed once by namedParameters, twice by stateDict (as PyTorch).
    this.aux = this.registerModule('aux', this.head);
    this.scale = this.registerParameter('scale', ones([1]));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let h = this.stem.forward(x);
      for (const stage of this.stages) h = stage.forward(h);
      return this.head.forward(h.mean([2, 3])).mul(this.scale);
    });
  }
}

const PY_NET = `
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.stages = nn.ModuleList([nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
                                     nn.Sequential(nn.Conv2d(8, 16, 1), nn.GroupNorm(4, 16))])
        self.register_buffer('anchor', torch.zeros(3), persistent=False)
        self.head = nn.Linear(16, 4)
        self.aux = self.head
        self.scale = nn.Parameter(torch.ones(1))
net = Net()
def enc(lines):
    return torch.tensor(list('\\n'.join(lines).encode()), dtype=torch.float64)
`;

const decode = (t: Tensor): string[] => String.fromCharCode(...t.toArray()).split('\n');
const describe = (entries: [string, Tensor][]): string[] => entries.map(([n, t]) => `${n}:${t.shape.join(',')}`);

test('parameter, buffer, module and state-dict names and shapes equal PyTorch', () => {
  const net = new Net();
  const py = runPyTorch(PY_NET + `
out['params'] = enc([f"{n}:{','.join(map(str, p.shape))}" for n, p in net.named_parameters()])
out['buffers'] = enc([f"{n}:{','.join(map(str, b.shape))}" for n, b in net.named_buffers()])
out['state'] = enc([f"{n}:{','.join(map(str, t.shape))}" for n, t in net.state_dict().items()])
out['modules'] = enc([n or '<root>' for n, _ in net.named_modules()])
out['children'] = enc([n for n, _ in net.named_children()])
`);
  assert.deepEqual(describe(net.namedParameters()), decode(py.params!));
  assert.deepEqual(describe(net.namedBuffers()), decode(py.buffers!));
  assert.deepEqual(describe([...net.stateDict({ keepVars: true })]), decode(py.state!));
  assert.deepEqual(net.namedModules().map(([n]) => n || '<root>'), decode(py.modules!));
  assert.deepEqual(net.namedChildren().map(([n]) => n), decode(py.children!));
  // Spot checks that also document the expected names.
  assert.equal(net.namedParameters()[0]![0], 'scale');
  assert.ok(net.stateDict().has('stages.0.1.num_batches_tracked'));
  assert.ok(!net.stateDict().has('anchor'), 'non-persistent buffers stay out of the state dict');
  assert.equal(net.getParameter('stages.1.0.weight').shape.join(','), '16,8,1,1');
  assert.equal(net.getSubmodule('stages.0.1').className, 'BatchNorm2d');
  assert.equal(net.namedParameters('backbone')[1]![0], 'backbone.stem.0.weight');
  assert.deepEqual(net.namedParameters('', false).map(([n]) => n), ['scale']);
});

test('stateDict values are detached copies in PyTorch order; loadStateDict round-trips in place', () => {
  const a = new Net();
  const b = new Net();
  const sd = a.stateDict();
  for (const t of sd.values()) assert.equal(t.requiresGrad, false);
  const before = b.stem.at(0) as nn.Conv2d;
  const weightObject = before.weight;
  const result = b.loadStateDict(sd);
  assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
  assert.equal((b.stem.at(0) as nn.Conv2d).weight, weightObject, 'copied in place, same parameter object');
  for (const [k, t] of b.stateDict()) assert.deepEqual(t.toArray(), sd.get(k)!.toArray(), k);
  assert.equal(b.getParameter('head.weight').requiresGrad, true);
  // A record works as well as a Map; float64 values are cast to the model's dtype.
  const rec: Record<string, Tensor> = {};
  for (const [k, t] of sd) rec[k] = t.dtype === 'float32' ? t.mul(2).double() : t;
  b.loadStateDict(rec);
  assert.equal(b.head.bias!.dtype, 'float32');
  assert.ok(b.head.bias!.allclose(a.head.bias!.mul(2)));
});

test('strict loading names missing, unexpected and mis-shaped keys; non-strict returns them', () => {
  const net = new Net();
  const sd = net.stateDict();
  sd.delete('stem.1.running_var');
  sd.delete('head.bias');
  sd.set('head.extra', zeros([2]));
  assert.throws(() => net.loadStateDict(sd), (err: Error) => {
    assert.match(err.message, /Error\(s\) in loading state_dict for Net/);
    assert.match(err.message, /Missing key\(s\) in state_dict: "stem\.1\.running_var", "head\.bias"\./);
    assert.match(err.message, /Unexpected key\(s\) in state_dict: "head\.extra"\./);
    return true;
  });
  const r = net.loadStateDict(sd, { strict: false });
  assert.deepEqual(r.missingKeys, ['stem.1.running_var', 'head.bias']);
  assert.deepEqual(r.unexpectedKeys, ['head.extra']);

  const bad = net.stateDict();
  bad.set('stem.0.weight', zeros([4, 3, 3, 3]));
  // Shape mismatches fail even when not strict, as in PyTorch.
  for (const strict of [true, false]) {
    assert.throws(() => net.loadStateDict(bad, { strict }), /size mismatch for stem\.0\.weight: checkpoint \[4, 3, 3, 3\], model \[8, 3, 3, 3\]/);
  }
});

test('BatchNorm accepts checkpoints without num_batches_tracked (counted from 0)', () => {
  const bn = new nn.BatchNorm2d(4);
  const sd = bn.stateDict();
  sd.delete('num_batches_tracked');
  bn.numBatchesTracked!.fill_(7);
  assert.deepEqual(bn.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
  assert.equal(bn.numBatchesTracked!.item(), 0);
  // InstanceNorm without running stats ignores them in a checkpoint, as PyTorch does for unversioned dicts.
  const inorm = new nn.InstanceNorm2d(4);
  const r = inorm.loadStateDict(new nn.BatchNorm2d(4, { affine: false }).stateDict(), { strict: false });
  assert.deepEqual(r.unexpectedKeys, ['num_batches_tracked']);
  assert.equal(String(bn), 'BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)');
});

test('train()/eval() reach every descendant, including through overrides', () => {
  const net = new Net();
  assert.ok(net.modules().every((m) => m.training));
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  class FrozenNorms extends Net {
    override train(mode = true): this {
      super.train(mode);
      for (const m of this.modules()) if (m instanceof nn.BatchNorm2d) m.training = false;
      return this;
    }
  }
  const f = new FrozenNorms().train();
  assert.equal(f.getSubmodule('stem.1').training, false);
  assert.equal(f.getSubmodule('stem.0').training, true);
});

test('requiresGrad_(false) freezes, zeroGrad clears, and both leave other modules alone', () => {
  const net = new Net();
  net.stem.requiresGrad_(false);
  assert.ok(net.stem.parameters().every((p) => !p.requiresGrad));
  assert.ok(net.head.parameters().every((p) => p.requiresGrad));
  const y = net.forward(randn([2, 3, 6, 6]));
  y.sum().backward();
  assert.equal(net.stem.parameters()[0]!.grad, null, 'frozen parameters get no gradient');
  const g = net.head.weight.grad!;
  assert.ok(g.abs().sum().item() > 0);
  net.zeroGrad();
  assert.equal(net.head.weight.grad!.abs().sum().item(), 0, 'zeroed in place (PyTorch 1.13 default)');
  net.zeroGrad(true);
  assert.equal(net.head.weight.grad, null);
});

test('parameters and buffers survive tidy: a model built, run and trained inside scopes stays usable', () => {
  const depth = scopeDepth();
  const net = tidy(() => new Net());
  const step = (): void => tidy(() => {
    const loss = net.forward(randn([2, 3, 6, 6])).square().mean();
    loss.backward();
    net.zeroGrad();
  });
  step();
  const handles = native.liveHandles();
  step();
  step();
  assert.equal(native.liveHandles(), handles, 'a training step leaves no tensor handles behind');
  assert.equal(scopeDepth(), depth);
  for (const [name, t] of [...net.namedParameters(), ...net.namedBuffers()]) assert.equal(t.isDisposed, false, name);
  assert.equal(net.getBuffer('stem.1.num_batches_tracked').item(), 3);
  const y = net.forward(randn([1, 3, 4, 4]));
  assert.deepEqual(y.shape, [1, 4]);
});

test('setParameter / setModule replace registered entries and typed fields follow', () => {
  const net = new Net();
  const newHead = new nn.Linear(16, 7);
  net.setModule('head', newHead);
  assert.equal(net.head, newHead);
  assert.equal(net.getSubmodule('head'), newHead);
  assert.equal(net.aux, newHead, 'every field that held the old child follows');
  const conv = net.stem.at(0) as nn.Conv2d;
  const w = randn([8, 3, 3, 3]);
  net.setParameter('stem.0.weight', w);
  assert.equal(conv.weight, w);
  assert.equal(w.requiresGrad, true);
  assert.ok(nn.isParameter(w));
  net.setBuffer('stem.1.running_mean', ones([8]));
  assert.equal((net.stem.at(1) as nn.BatchNorm2d).runningMean!.sum().item(), 8);
  assert.throws(() => net.setParameter('stem.0.nope', w), /Conv2d has no parameter 'nope'/);
  assert.throws(() => net.getSubmodule('stem.9'), /Sequential at 'stem' has no child '9'/);
  assert.throws(() => net.registerBuffer('head', zeros([1])), /cannot register buffer 'head': a module of that name exists/);
  assert.ok(net.unregister('aux'));
  assert.ok(!net.stateDict().has('aux.weight'));
});

test('a shared parameter is listed once and stays shared after to()', () => {
  const a = new nn.Linear(3, 3);
  const b = new nn.Linear(3, 3);
  b.registerParameter('weight', a.weight);
  const seq = new nn.Sequential(a, b);
  assert.equal(seq.parameters().length, 3);
  assert.deepEqual([...seq.stateDict().keys()], ['0.weight', '0.bias', '1.weight', '1.bias']);
  seq.requiresGrad_(false);
  seq.to('float64');
  assert.equal(a.weight.dtype, 'float64');
  assert.equal(a.weight, b.weight);
  assert.equal(a.weight.requiresGrad, false, 'to() keeps requiresGrad');
  const bn = new nn.BatchNorm2d(2).to('float64');
  assert.equal(bn.runningMean!.dtype, 'float64');
  assert.equal(bn.numBatchesTracked!.dtype, 'int64', 'integer buffers keep their dtype');
  assert.ok(nn.isParameter(bn.weight!));
  const y = seq.forward(tensor([[1, 2, 3]], { dtype: 'float64' }));
  assert.equal(y.dtype, 'float64');
});

test('containers: Sequential of a record, ModuleList insert/pop renumber, ModuleDict keys', () => {
  const s = new nn.Sequential({ conv: new nn.Conv2d(1, 2, 1), act: new nn.ReLU() });
  assert.deepEqual(s.namedParameters().map(([n]) => n), ['conv.weight', 'conv.bias']);
  assert.equal(s.at(-1).className, 'ReLU');
  const l = new nn.ModuleList([new nn.ReLU(), new nn.Sigmoid()]);
  l.insert(1, new nn.Tanh());
  assert.deepEqual(l.namedChildren().map(([n, m]) => `${n}=${m.className}`), ['0=ReLU', '1=Tanh', '2=Sigmoid']);
  assert.equal(l.pop(0).className, 'ReLU');
  assert.deepEqual(l.namedChildren().map(([n, m]) => `${n}=${m.className}`), ['0=Tanh', '1=Sigmoid']);
  const d = new nn.ModuleDict({ a: new nn.Linear(1, 1), b: new nn.Linear(1, 2) });
  assert.deepEqual(d.keys(), ['a', 'b']);
  assert.deepEqual([...d.stateDict().keys()], ['a.weight', 'a.bias', 'b.weight', 'b.bias']);
  assert.throws(() => d.get('c'), /ModuleDict has no key 'c'/);
  assert.throws(() => l.at(5), /index 5 is out of range for length 2/);
  assert.match(String(s), /^Sequential\(\n {2}\(conv\): Conv2d\(1, 2, kernel_size=\(1, 1\), stride=\(1, 1\)\)\n {2}\(act\): ReLU\(\)\n\)$/);
});

test('apply visits children before parents', () => {
  const order: string[] = [];
  new Net().apply((m) => order.push(m.className));
  assert.deepEqual(order.slice(0, 4), ['Conv2d', 'BatchNorm2d', 'ReLU', 'Sequential']);
  assert.equal(order.at(-1), 'Net');
});
