import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { BaseDataPreprocessor, BaseModel, type DataBatch, type PreprocessedBatch } from '../model/base-model.js';
import { MessageHub } from '../logging/message-hub.js';
import { MMLogger } from '../logging/logger.js';
import { LogProcessor } from '../logging/log-processor.js';
import { Visualizer } from '../visualization/visualizer.js';
import { Runner, type RunnerOptimWrapper, type RunnerParamScheduler } from '../runner/runner.js';
import { EpochBasedTrainLoop, IterBasedTrainLoop } from '../runner/train-loops.js';
import { ValLoop } from '../runner/val-test-loops.js';
import { loadCheckpointFile } from '../runner/checkpoint-file.js';
import type { DataLoaderLike } from '../runner/data-source.js';
import type { Evaluator } from '../evaluator/index.js';
import { ConfigError } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import { CheckpointHook } from './checkpoint-hook.js';

class PassThrough extends BaseDataPreprocessor {
  forward(): PreprocessedBatch {
    throw new Error('not used: TinyModel overrides its steps');
  }
}

/** One real parameter (so checkpoints hold a tensor); steps report a constant loss. */
class TinyModel extends BaseModel {
  readonly dataPreprocessor = new PassThrough();
  readonly linear = this.registerModule('linear', new torch.nn.Linear(2, 1));
  forward(): unknown {
    return {};
  }
  override trainStep(_data: DataBatch): Record<string, number> {
    return { loss: 1 };
  }
  override valStep(): unknown[] {
    return [];
  }
}

function loader(length: number): DataLoaderLike {
  return {
    length,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < length; i++) yield { i };
    },
  };
}

const evaluator = (...results: Record<string, number>[]) =>
  ({ process() {}, evaluate: () => results.shift() ?? {} }) as unknown as Evaluator;

let runs = 0;
function makeRunner(workDir = join(mkdtempSync(join(tmpdir(), 'segkit-ckpt-hook-')), 'exp1')) {
  mkdirSync(workDir, { recursive: true });
  const lines: string[] = [];
  const name = `checkpoint-hook-test-${++runs}`;
  const runner = new Runner({
    cfg: { train_cfg: { max_iters: 10 } }, model: new TinyModel(), workDir, logDir: join(workDir, 'logs'), timestamp: 't',
    expName: 'exp1', seed: 0, device: 'cpu',
    logger: new MMLogger(name, { stream: { write: (t: string) => lines.push(t) }, color: false }),
    messageHub: new MessageHub(name),
    visualizer: new Visualizer({ name }),
    logProcessor: new LogProcessor(),
  });
  runner.optimWrapper = {
    getLr: () => ({ lr: [0.01] }),
    stateDict: () => ({ state: {}, param_groups: [{ lr: 0.01 }] }),
  } as unknown as RunnerOptimWrapper;
  runner.paramSchedulers = [{ byEpoch: true, step() {}, stateDict: () => ({ last_step: 3 }), loadStateDict() {} } as RunnerParamScheduler];
  const messages = (level = 'INFO') => lines.map((l) => new RegExp(`- ${level} - (.*)\\n$`).exec(l)?.[1]).filter((m): m is string => m !== undefined);
  return { runner, workDir, messages };
}

async function train(runner: Runner, hook: CheckpointHook): Promise<void> {
  runner.registerHook(hook, 90);
  await runner.trainLoop!.run();
}

const ckptFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort();

function readCheckpoint(path: string): Record<string, unknown> {
  const ckpt = loadCheckpointFile(path);
  const { state_dict: weights, ...rest } = ckpt;
  torch.dispose(weights);
  return rest;
}

test('built from HOOKS with VERY_LOW priority and MMEngine defaults', () => {
  const hook = HOOKS.build<CheckpointHook>({ type: 'CheckpointHook' });
  assert.equal(CheckpointHook.priority, 'VERY_LOW');
  assert.deepEqual([hook.interval, hook.byEpoch, hook.saveOptimizer, hook.saveParamScheduler, hook.maxKeepCkpts, hook.saveLast, hook.saveBest, hook.saveBegin],
    [-1, true, true, true, -1, true, null, 0]);
  assert.equal(hook.filenameTmpl, 'epoch_{}.ckpt');
  assert.equal(new CheckpointHook({ by_epoch: false }).filenameTmpl, 'iter_{}.ckpt');
});

test('options are checked as MMEngine checks them, errors naming the key', () => {
  const fails = (options: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(() => new CheckpointHook(options), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), JSON.stringify(options));
  fails({ filename_tmpl: 'ckpt.ckpt' }, /^filename_tmpl: expected exactly one '\{\}'/);
  fails({ filename_tmpl: 'ckpt_{}_{}.ckpt' }, /^filename_tmpl:/);
  fails({ save_best: ['auto', 'mIoU'] }, /^save_best: 'auto' must be the only entry/);
  fails({ save_best: ['mIoU', 'mIoU'] }, /^save_best: 'mIoU' is listed twice/);
  fails({ save_best: ['mIoU', 'loss', 'mAcc'], rule: ['greater', 'less'] }, /^rule: expected 1 rule or one per save_best key \(3\), got 2/);
  fails({ rule: ['greater'] }, /^rule: a list of rules needs save_best/);
  fails({ save_best: 'FID' }, /^rule: cannot infer the rule for save_best key 'FID'/);
  fails({ save_best: 'mIoU', rule: 'bigger' }, /^rule/);
  fails({ save_begin: -1 }, /^save_begin/);
  fails({ max_keep: 3 }, /max_keep/);
  assert.deepEqual(new CheckpointHook({ save_best: ['FID', 'IS'], rule: ['less', 'greater'] }).rules, ['less', 'greater']);
  assert.deepEqual(new CheckpointHook({ save_best: 'FID', less_keys: 'fid' }).rules, ['less']);
  assert.deepEqual(new CheckpointHook({ save_best: 'auto' }).rules, [null]);
});

test('saves every interval epochs and the last epoch; last_checkpoint names the newest', async () => {
  const { runner, workDir, messages } = makeRunner();
  runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 5 }, runner, loader(3));
  await train(runner, new CheckpointHook({ interval: 2 }));
  assert.deepEqual(ckptFiles(workDir), ['epoch_2.ckpt', 'epoch_4.ckpt', 'epoch_5.ckpt']);
  assert.equal(readFileSync(join(workDir, 'last_checkpoint'), 'utf8'), join(workDir, 'epoch_5.ckpt'));
  assert.ok(messages().includes('Saving checkpoint at 2 epochs'));
  assert.ok(messages().includes(`Checkpoints will be saved to ${workDir}.`));
  const ckpt = readCheckpoint(join(workDir, 'epoch_2.ckpt'));
  assert.deepEqual([(ckpt.meta as Record<string, unknown>).epoch, (ckpt.meta as Record<string, unknown>).iter], [2, 6]);
  assert.deepEqual(ckpt.param_schedulers, [{ last_step: 3 }]);
  assert.deepEqual(ckpt.optimizer, { state: {}, param_groups: [{ lr: 0.01 }] });
  assert.equal((ckpt.message_hub as { runtime_info: Record<string, unknown> }).runtime_info.last_ckpt, join(workDir, 'epoch_2.ckpt'));
});

test('saves every interval iterations from save_begin, plus the last iteration', async () => {
  const { runner, workDir } = makeRunner();
  runner.trainLoop = new IterBasedTrainLoop({ max_iters: 10 }, runner, loader(4));
  await train(runner, new CheckpointHook({ by_epoch: false, interval: 2, save_begin: 5 }));
  assert.deepEqual(ckptFiles(workDir), ['iter_10.ckpt', 'iter_5.ckpt', 'iter_7.ckpt', 'iter_9.ckpt']);
  const meta = readCheckpoint(join(workDir, 'iter_7.ckpt')).meta as Record<string, unknown>;
  assert.deepEqual([meta.epoch, meta.iter], [0, 7]);
});

test('keeps only max_keep_ckpts newest', async () => {
  const { runner, workDir } = makeRunner();
  runner.trainLoop = new IterBasedTrainLoop({ max_iters: 10 }, runner, loader(4));
  await train(runner, new CheckpointHook({ by_epoch: false, interval: 3, max_keep_ckpts: 2 }));
  assert.deepEqual(ckptFiles(workDir), ['iter_10.ckpt', 'iter_9.ckpt']);
  assert.deepEqual(runner.messageHub.getInfo('keep_ckpt_ids'), [9, 10]);
  assert.equal(readFileSync(join(workDir, 'last_checkpoint'), 'utf8'), join(workDir, 'iter_10.ckpt'));
});

test('save_last false with no interval saves nothing; save_optimizer/save_param_scheduler false leave them out', async () => {
  const quiet = makeRunner();
  quiet.runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 2 }, quiet.runner, loader(2));
  await train(quiet.runner, new CheckpointHook({ save_last: false }));
  assert.deepEqual(ckptFiles(quiet.workDir), []);
  assert.equal(existsSync(join(quiet.workDir, 'last_checkpoint')), false);

  const lean = makeRunner();
  lean.runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 1 }, lean.runner, loader(2));
  await train(lean.runner, new CheckpointHook({ save_optimizer: false, save_param_scheduler: false, filename_tmpl: 'model-{}.ckpt' }));
  assert.deepEqual(ckptFiles(lean.workDir), ['model-1.ckpt']);
  const ckpt = readCheckpoint(join(lean.workDir, 'model-1.ckpt'));
  assert.equal('optimizer' in ckpt, false);
  assert.equal('param_schedulers' in ckpt, false);
});

test('out_dir gets the work dir name appended', async () => {
  const { runner, workDir } = makeRunner();
  const outRoot = mkdtempSync(join(tmpdir(), 'segkit-ckpt-out-'));
  runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 1 }, runner, loader(2));
  await train(runner, new CheckpointHook({ out_dir: outRoot }));
  assert.deepEqual(ckptFiles(join(outRoot, 'exp1')), ['epoch_1.ckpt']);
  assert.equal(readFileSync(join(workDir, 'last_checkpoint'), 'utf8'), join(outRoot, 'exp1', 'epoch_1.ckpt'));
});

test("save_best 'auto' takes the first metric; mIoU is inferred greater and the previous best file is replaced", async () => {
  const { runner, workDir, messages } = makeRunner();
  runner.trainLoop = new IterBasedTrainLoop({ max_iters: 10, val_interval: 4 }, runner, loader(4));
  runner.valLoop = new ValLoop({}, runner, loader(1), evaluator({ mIoU: 40, mAcc: 90 }, { mIoU: 50, mAcc: 10 }, { mIoU: 45, mAcc: 99 }));
  const hook = new CheckpointHook({ by_epoch: false, interval: 4, save_best: 'auto' });
  await train(runner, hook);
  assert.deepEqual(hook.keyIndicators, ['mIoU']);
  assert.deepEqual(ckptFiles(workDir), ['best_mIoU_iter_8.ckpt', 'iter_10.ckpt', 'iter_4.ckpt', 'iter_8.ckpt']);
  assert.equal(runner.messageHub.getInfo('best_score'), 50);
  assert.equal(runner.messageHub.getInfo('best_ckpt'), join(workDir, 'best_mIoU_iter_8.ckpt'));
  assert.ok(messages().includes('The best checkpoint with 50.0000 mIoU at 8 iter is saved to best_mIoU_iter_8.ckpt.'));
  assert.ok(messages().includes(`The previous best checkpoint ${join(workDir, 'best_mIoU_iter_4.ckpt')} is removed`));
  const best = readCheckpoint(join(workDir, 'best_mIoU_iter_8.ckpt'));
  assert.equal('optimizer' in best, false);
  assert.equal('param_schedulers' in best, false);
  // MMEngine's meta for the best: the iterations done when validating, not iter + 1.
  const bestMeta = best.meta as Record<string, unknown>;
  assert.deepEqual([bestMeta.epoch, bestMeta.iter], [0, 8]);
  // The interval checkpoint of the improving iteration is saved again, so it carries the new best score.
  const resaved = readCheckpoint(join(workDir, 'iter_8.ckpt')).message_hub as { runtime_info: Record<string, unknown> };
  assert.equal(resaved.runtime_info.best_score, 50);
  assert.deepEqual(hook.stateDict(), {
    last_ckpt: join(workDir, 'iter_10.ckpt'), best_score: 50, best_ckpt: join(workDir, 'best_mIoU_iter_8.ckpt'),
  });
});

test('a list of save_best keys keeps one best per key with inferred rules (mIoU greater, loss less)', async () => {
  const { runner, workDir } = makeRunner();
  runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 3 }, runner, loader(2));
  runner.valLoop = new ValLoop({}, runner, loader(1), evaluator({ mIoU: 40, loss: 1 }, { mIoU: 35, loss: 0.8 }, { mIoU: 50, loss: 0.9 }));
  const hook = new CheckpointHook({ save_best: ['mIoU', 'loss'] });
  await train(runner, hook);
  assert.deepEqual(hook.rules, ['greater', 'less']);
  assert.deepEqual(ckptFiles(workDir), ['best_loss_epoch_2.ckpt', 'best_mIoU_epoch_3.ckpt', 'epoch_3.ckpt']);
  const hub = runner.messageHub;
  assert.deepEqual([hub.getInfo('best_score_mIoU'), hub.getInfo('best_score_loss')], [50, 0.8]);
  assert.equal(hub.getInfo('best_ckpt_loss'), join(workDir, 'best_loss_epoch_2.ckpt'));
  assert.equal(hub.runtimeInfo.has('best_score'), false);
  const meta = readCheckpoint(join(workDir, 'best_loss_epoch_2.ckpt')).meta as Record<string, unknown>;
  assert.deepEqual([meta.epoch, meta.iter], [2, 4]);
});

test('an explicit rule overrides inference', async () => {
  const { runner, workDir } = makeRunner();
  runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 3 }, runner, loader(1));
  runner.valLoop = new ValLoop({}, runner, loader(1), evaluator({ mIoU: 40 }, { mIoU: 35 }, { mIoU: 50 }));
  await train(runner, new CheckpointHook({ save_best: 'mIoU', rule: 'less', save_last: false }));
  assert.deepEqual(ckptFiles(workDir), ['best_mIoU_epoch_2.ckpt']);
  assert.equal(runner.messageHub.getInfo('best_score'), 35);
});

test('empty metrics skip save_best with a warning', async () => {
  const { runner, workDir, messages } = makeRunner();
  runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 1 }, runner, loader(1));
  runner.valLoop = new ValLoop({}, runner, loader(1), evaluator({}));
  await train(runner, new CheckpointHook({ save_best: 'mIoU', save_last: false, published_keys: ['meta'] }));
  assert.deepEqual(ckptFiles(workDir), []);
  assert.deepEqual(messages('WARNING'), [
    'CheckpointHook: published_keys is ignored (segkit saves local checkpoints and publishes none).',
    'Since `metrics` is an empty dict, the behavior to save the best checkpoint will be skipped in this evaluation.',
  ]);
});

test('best score and best path survive a state round trip into a fresh run', async () => {
  const first = makeRunner();
  first.runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 1 }, first.runner, loader(1));
  first.runner.valLoop = new ValLoop({}, first.runner, loader(1), evaluator({ mIoU: 60 }));
  const firstHook = new CheckpointHook({ save_best: 'mIoU', save_last: false });
  await train(first.runner, firstHook);
  const state = JSON.parse(JSON.stringify(firstHook.stateDict()));
  assert.deepEqual(state, { best_score: 60, best_ckpt: join(first.workDir, 'best_mIoU_epoch_1.ckpt') });

  // Same work dir, an empty message hub: only the hook's own state carries the best over.
  const second = makeRunner(first.workDir);
  second.runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 3 }, second.runner, loader(1));
  second.runner.trainLoop.restoreProgress(1, 1);
  second.runner.valLoop = new ValLoop({}, second.runner, loader(1), evaluator({ mIoU: 55 }, { mIoU: 70 }));
  const secondHook = new CheckpointHook({ save_best: 'mIoU', save_last: false });
  secondHook.loadStateDict(state);
  await train(second.runner, secondHook);
  assert.deepEqual(ckptFiles(first.workDir), ['best_mIoU_epoch_3.ckpt']);
  assert.equal(second.runner.messageHub.getInfo('best_score'), 70);
  assert.throws(() => secondHook.loadStateDict([1]), /expected an object of runtime info/);
});

test('on resume, kept checkpoints beyond max_keep_ckpts are removed', async () => {
  const { runner, workDir } = makeRunner();
  for (const step of [1, 2, 3]) writeFileSync(join(workDir, `epoch_${step}.ckpt`), 'old');
  writeFileSync(join(workDir, 'epoch_0.ckpt'), 'not tracked');
  runner.messageHub.updateInfo('keep_ckpt_ids', [1, 2, 3]);
  const hook = new CheckpointHook({ max_keep_ckpts: 2 });
  hook.beforeTrain(runner);
  assert.deepEqual(ckptFiles(workDir), ['epoch_0.ckpt', 'epoch_2.ckpt', 'epoch_3.ckpt']);
  assert.deepEqual(hook.keepCkptIds, [2, 3]);
});
