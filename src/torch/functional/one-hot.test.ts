// oneHot against PyTorch's one_hot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randint, zeros } from '../index.js';
import * as F from './index.js';
import { runPyTorch, assertClose } from '../testing/pytorch.js';

manualSeed(10);
const labels = randint(0, 6, [2, 3, 4]);
const ref = runPyTorch(`
import torch.nn.functional as F
out['inferred'] = F.one_hot(labels)
out['fixed'] = F.one_hot(labels, 9)
out['inferred_classes'] = torch.tensor(F.one_hot(labels).shape[-1])
`, { labels });

test('oneHot matches PyTorch with inferred and fixed numClasses', () => {
  const inferred = F.oneHot(labels);
  assert.equal(inferred.dtype, 'int64');
  assert.equal(inferred.size(-1), ref.inferred_classes!.item());
  assertClose(inferred, ref.inferred!, { name: 'inferred' });
  assertClose(F.oneHot(labels, 9), ref.fixed!, { name: 'fixed' });
});

test('oneHot asks for int64 labels', () => {
  assert.throws(() => F.oneHot(zeros([3], { dtype: 'int32' })), /oneHot: labels must be int64 class indices, got int32/);
});
