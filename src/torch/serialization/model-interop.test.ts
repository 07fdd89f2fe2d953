// The same small conv net in PyTorch and segkit: weights saved by either load in the other
// and give the same outputs on the same input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../index.js';
import * as nn from '../nn/index.js';
import { runPyTorch, assertClose } from '../testing/pytorch.js';
import { loadTorchFile, saveTorchFile, OrderedDict } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'segkit-pth-model-'));
const net = (): nn.Sequential => new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.Conv2d(8, 4, 1));
const PY_NET = `net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 1))`;

test('a state_dict saved by PyTorch loads into the segkit net (strict) and gives the same output', () => {
  const file = join(dir, 'torch-net.pth');
  torch.manualSeed(1);
  const x = torch.randn([2, 3, 6, 6]);
  const ref = runPyTorch(`
torch.manual_seed(0)
${PY_NET}
net.train(); net(torch.randn(4, 3, 6, 6))  # non-trivial running stats
net.eval()
torch.save(net.state_dict(), ${JSON.stringify(file)})
out['y'] = net(x)
`, { x });
  const sd = loadTorchFile(file) as OrderedDict<string, torch.Tensor>;
  assert.ok(sd instanceof OrderedDict);
  const model = net();
  const result = model.loadStateDict(sd, { strict: true });
  assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
  assert.equal(sd.get('1.num_batches_tracked')!.item(), 1);
  model.eval();
  const y = torch.noGrad(() => model.forward(x));
  assertClose(y.to('float64'), ref.y!, { rtol: 1e-5, atol: 1e-5, name: 'output' });
});

test('a state_dict saved by segkit loads in PyTorch with weights_only=True and gives the same output', () => {
  const file = join(dir, 'segkit-net.pth');
  torch.manualSeed(2);
  const model = net();
  const bn = model.stateDict({ keepVars: true });
  torch.noGrad(() => {
    bn.get('1.running_mean')!.copy_(torch.randn([8]));
    bn.get('1.running_var')!.copy_(torch.rand([8]).add(0.5));
  });
  model.eval();
  const x = torch.randn([2, 3, 6, 6]);
  const y = torch.noGrad(() => model.forward(x));
  saveTorchFile(new OrderedDict(model.stateDict()), file);
  const ref = runPyTorch(`
${PY_NET}
sd = torch.load(${JSON.stringify(file)}, weights_only=True)
net.load_state_dict(sd, strict=True)
net.eval()
out['y'] = net(x)
`, { x });
  assertClose(y.to('float64'), ref.y!, { rtol: 1e-5, atol: 1e-5, name: 'output' });
});
