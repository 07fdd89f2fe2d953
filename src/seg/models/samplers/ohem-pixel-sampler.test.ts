// OHEMPixelSampler: keeps min_kept hardest pixels per image (by loss, or by true-class probability under thresh), never ignored ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { CrossEntropyLoss } from '../losses/index.js';
import { OHEMPixelSampler } from './index.js';

torch.manualSeed(2);
const N = 2;
const logits = torch.randn([N, 3, 6, 6]).mul(3);
const label = torch.randint(0, 3, [N, 1, 6, 6]);
torch.noGrad(() => label.slice(2, 0, 1).fill_(255));
const valid = label.squeeze(1).ne(255);
const context = { ignoreIndex: 255, losses: [new CrossEntropyLoss()] };

test('without thresh: exactly min_kept * N valid pixels, the ones with the largest loss', () => {
  const sampler = new OHEMPixelSampler({ min_kept: 7 }, context);
  const w = sampler.sample(logits, label);
  assert.deepEqual(w.shape, [N, 6, 6]);
  assert.equal(w.sum().item(), 14);
  assert.equal(w.index([valid.logicalNot()]).sum().item(), 0);
  const ce = torch.F.crossEntropy(logits, label.squeeze(1), { ignoreIndex: 255, reduction: 'none' });
  const keptMin = ce.index([w.gt(0)]).min().item();
  const droppedMax = ce.index([w.eq(0).logicalAnd(valid)]).max().item();
  assert.ok(keptMin >= droppedMax, `kept ${keptMin} < dropped ${droppedMax}`);
});

test('with thresh: pixels whose true-class probability is below max(thresh, the min_kept-th smallest)', () => {
  const probs = torch.F.softmax(logits, 1).gather(1, label.where(label.ne(255), 0)).squeeze(1);
  const validProbs = probs.index([valid]).sort().values.toArray();
  const low = new OHEMPixelSampler({ thresh: 0.01, min_kept: 9 }, context).sample(logits, label);
  // thresh 0.01 is below most probabilities: the 18th smallest (index min_kept * N) decides.
  const expected = validProbs.filter((p) => p < Math.max(validProbs[18]!, 0.01)).length;
  assert.equal(low.sum().item(), expected);
  assert.ok(expected >= 18);
  const high = new OHEMPixelSampler({ thresh: 0.9, min_kept: 2 }, context).sample(logits, label);
  assert.equal(high.sum().item(), validProbs.filter((p) => p < Math.max(validProbs[4]!, 0.9)).length);
  assert.equal(high.index([valid.logicalNot()]).sum().item(), 0);
});

test('min_kept larger than the valid pixels keeps all of them', () => {
  const w = new OHEMPixelSampler({ min_kept: 1000 }, context).sample(logits, label);
  assert.equal(w.sum().item(), valid.sum().item());
});
