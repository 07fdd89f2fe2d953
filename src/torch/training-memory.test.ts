// A long training loop must not grow: RSS at step 2,000 stays within +10% of step 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from './index.js';
import * as F from './functional/index.js';
import { SGD } from './optim/index.js';
import { SmallFCN } from './testing/small-fcn.js';
import { makeShapesBatch } from './testing/shapes.js';

test('2,000 training steps keep RSS flat and leak no tensor handle', async () => {
  torch.manualSeed(0);
  const model = new SmallFCN(4, 16);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weight_decay: 5e-4 });
  const { images, labels } = makeShapesBatch(2, 32, 4, 1);
  const x = torch.keep(images);
  const y = torch.keep(labels);
  let rss500 = 0;
  let handles500 = 0;
  let rss2000 = 0;
  let handles2000 = 0;
  let firstLoss = 0;
  let lastLoss = 0;
  await torch.runSteps(2000, () => {
    optimizer.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
    return loss;
  }, (loss, i) => {
    if (i === 0) firstLoss = loss.item();
    if (i === 499) {
      rss500 = process.memoryUsage().rss;
      handles500 = torch.native.liveHandles();
    }
    if (i === 1999) {
      lastLoss = loss.item();
      rss2000 = process.memoryUsage().rss;
      handles2000 = torch.native.liveHandles();
    }
  });
  const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
  assert.ok(rss2000 <= rss500 * 1.1, `RSS grew from ${mb(rss500)} MB at step 500 to ${mb(rss2000)} MB at step 2000`);
  assert.equal(handles2000, handles500, 'live tensor handles changed between step 500 and 2000');
  assert.ok(lastLoss < firstLoss * 0.5, `loss did not fall: ${firstLoss} -> ${lastLoss}`);
});
