// `segkit demo`: a tiny but real training run that needs no data set: a small FCN learns
// to segment procedurally drawn shapes (5 classes) and reports loss, pixel accuracy and mIoU.
import type { Command } from 'commander';
import * as torch from '../torch/index.js';
import * as F from '../torch/functional/index.js';
import { SGD } from '../torch/optim/index.js';
import { SmallFCN } from '../torch/testing/small-fcn.js';
import { makeShapesBatch } from '../torch/testing/shapes.js';

const NUM_CLASSES = 5;

function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got '${value}'`);
    return n;
  };
}

/** Pixel accuracy and mean IoU over the classes present in labels or predictions. */
function evaluate(model: SmallFCN, images: torch.Tensor, labels: torch.Tensor): { acc: number; miou: number } {
  return torch.tidy(() => torch.noGrad(() => {
    model.eval();
    const pred = model.forward(images).argmax(1);
    model.train();
    const acc = pred.eq(labels).float().mean().item();
    const ious: number[] = [];
    for (let c = 0; c < NUM_CLASSES; c++) {
      const p = pred.eq(c);
      const l = labels.eq(c);
      const union = p.logicalOr(l).sum().item();
      if (union > 0) ious.push(p.logicalAnd(l).sum().item() / union);
    }
    return { acc, miou: ious.reduce((a, b) => a + b, 0) / ious.length };
  }));
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('train a small FCN on procedurally drawn shapes (no data set needed) and report its accuracy')
    .option('--iters <n>', 'training iterations', parsePositiveInt('iters'), 300)
    .option('--batch <n>', 'batch size', parsePositiveInt('batch'), 8)
    .option('--size <n>', 'image size in pixels', parsePositiveInt('size'), 64)
    .option('--seed <n>', 'random seed', parsePositiveInt('seed'), 1)
    .action(async (opts: { iters: number; batch: number; size: number; seed: number }) => {
      torch.manualSeed(opts.seed);
      const model = new SmallFCN(NUM_CLASSES, 32);
      const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weight_decay: 1e-4 });
      const val = makeShapesBatch(16, opts.size, NUM_CLASSES, 1_000_000 + opts.seed);
      const started = performance.now();
      console.log(`segkit demo: libtorch ${torch.libtorchVersion()}, ${torch.getNumThreads()} threads, ${opts.iters} iterations of batch ${opts.batch}x3x${opts.size}x${opts.size}`);
      await torch.runSteps(opts.iters, (i) => {
        const { images, labels } = makeShapesBatch(opts.batch, opts.size, NUM_CLASSES, opts.seed * 100_003 + i);
        // Poly decay, as MMSeg's schedules do.
        optimizer.paramGroups[0]!.lr = 0.05 * (1 - i / opts.iters) ** 0.9;
        optimizer.zeroGrad();
        const loss = F.crossEntropy(model.forward(images), labels);
        loss.backward();
        optimizer.step();
        return loss;
      }, (loss, i) => {
        if ((i + 1) % 50 === 0 || i === 0) {
          const secs = ((performance.now() - started) / 1000).toFixed(1);
          console.log(`Iter(train) [${String(i + 1).padStart(String(opts.iters).length)}/${opts.iters}]  loss: ${loss.item().toFixed(4)}  time: ${secs}s`);
        }
      });
      const { acc, miou } = evaluate(model, val.images, val.labels);
      console.log(`validation on 16 unseen scenes: pixel accuracy ${(acc * 100).toFixed(2)}%, mIoU ${(miou * 100).toFixed(2)}%`);
      console.log(`trained in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    });
}
