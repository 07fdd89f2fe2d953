import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOG_PROCESSORS } from '../registry/index.js';
import { LogProcessor, type LogMode, type LogRunnerView } from './log-processor.js';
import { MessageHub } from './message-hub.js';

interface FakeRunner extends LogRunnerView {
  messageHub: MessageHub;
}

function fakeRunner(over: Partial<Omit<FakeRunner, 'dataloaderLength'>> & { lengths?: Partial<Record<LogMode, number>> } = {}): FakeRunner {
  const { lengths = {}, ...rest } = over;
  return {
    iter: 0, epoch: 0, maxIters: 100, maxEpochs: 1, trainLoopBuilt: true,
    messageHub: new MessageHub('log-processor-test'),
    dataloaderLength: (mode: LogMode) => ({ train: 1000, val: 50, test: 50, ...lengths })[mode],
    maxMemoryMB: () => 1234,
    ...rest,
  };
}

/** What the hooks log in a train iteration, in their order: lrs, data_time, losses, time. */
function logTrainIters(hub: MessageHub, losses: number[], lr = 6e-5): void {
  for (const loss of losses) {
    hub.updateScalar('train/base_lr', lr);
    hub.updateScalar('train/lr', lr);
    hub.updateScalar('train/data_time', 0.01);
    hub.updateScalars({ 'train/loss': loss, 'train/decode.loss_ce': loss, 'train/decode.acc_seg': 90 + loss });
    hub.updateScalar('train/time', 0.5);
  }
}

test('train line by iter: lrs, eta, time, data_time, memory, smoothed losses', () => {
  const runner = fakeRunner({ iter: 49, maxIters: 160000 });
  // The first ten losses fall outside the window of 10. The iter is right-aligned to len('160000').
  logTrainIters(runner.messageHub, [...Array(10).fill(5), ...Array(10).fill(1.2345)]);
  runner.messageHub.updateInfo('eta', 93784.7);
  const { tag, logStr } = new LogProcessor({ by_epoch: false }).getLogAfterIter(runner, 49, 'train');
  assert.equal(logStr,
    'Iter(train) [    50/160000]  base_lr: 6.0000e-05 lr: 6.0000e-05  eta: 1 day, 2:03:04  time: 0.5000  data_time: 0.0100  ' +
    'memory: 1234  loss: 1.2345  decode.loss_ce: 1.2345  decode.acc_seg: 91.2345');
  assert.deepEqual(Object.keys(tag), ['base_lr', 'lr', 'data_time', 'loss', 'decode.loss_ce', 'decode.acc_seg', 'time', 'iter', 'memory']);
  assert.equal(tag.iter, 50);
  assert.equal(tag.memory, 1234);
  assert.ok(Math.abs(tag.loss! - 1.2345) < 1e-12);
  // acc_seg does not match mean_pattern: the current value, not a mean.
  assert.equal(tag['decode.acc_seg'], 90 + 1.2345);
});

test('train line by epoch: epoch right-aligned to max_epochs, iter to the dataloader length', () => {
  const runner = fakeRunner({ iter: 49, epoch: 0, maxEpochs: 12 });
  logTrainIters(runner.messageHub, [2, 1]);
  runner.messageHub.updateInfo('eta', 40);
  const { tag, logStr } = new LogProcessor().getLogAfterIter(runner, 49, 'train');
  assert.equal(logStr,
    'Epoch(train)  [1][  50/1000]  base_lr: 6.0000e-05 lr: 6.0000e-05  eta: 0:00:40  time: 0.5000  data_time: 0.0100  ' +
    'memory: 1234  loss: 1.5000  decode.loss_ce: 1.5000  decode.acc_seg: 91.0000');
  assert.equal(tag.epoch, 1);
  assert.equal(tag.iter, 50);
  const single = fakeRunner({ iter: 49, epoch: 0, maxEpochs: 5 });
  logTrainIters(single.messageHub, [1]);
  assert.match(new LogProcessor().getLogAfterIter(single, 49, 'train').logStr, /^Epoch\(train\) \[1\]\[  50\/1000\]  base_lr/);
});

test('without time and eta the line skips them; lr keys of param groups are all listed', () => {
  const runner = fakeRunner({ iter: 9, maxIters: 20, maxMemoryMB: () => undefined });
  runner.messageHub.updateScalars({ 'train/lr': 0.01, 'train/backbone.lr': 0.001, 'train/loss': 0.25 });
  const { logStr } = new LogProcessor({ by_epoch: false, num_digits: 2 }).getLogAfterIter(runner, 9, 'train');
  assert.equal(logStr, 'Iter(train) [10/20]  lr: 1.00e-02 backbone.lr: 1.00e-03  loss: 0.25');
});

test('val and test iteration lines list no scalars', () => {
  const runner = fakeRunner({ iter: 999, epoch: 1, maxEpochs: 1 });
  const hub = runner.messageHub;
  for (let i = 0; i < 10; i++) hub.updateScalars({ 'val/data_time': 0.01, 'val/loss': 3, 'val/time': 0.1 });
  for (let i = 0; i < 10; i++) hub.updateScalars({ 'test/data_time': 0.02, 'test/time': 0.2 });
  hub.updateInfo('eta', 5.9);
  const p = new LogProcessor();
  const val = p.getLogAfterIter(runner, 9, 'val');
  assert.equal(val.logStr, 'Epoch(val) [1][10/50]    eta: 0:00:05  time: 0.1000  data_time: 0.0100  memory: 1234  ');
  assert.equal(val.tag.epoch, 1);
  assert.equal(val.tag.iter, 1000);
  assert.equal(p.getLogAfterIter(runner, 9, 'test').logStr, 'Epoch(test) [10/50]    eta: 0:00:05  time: 0.2000  data_time: 0.0200  memory: 1234  ');
  const byIter = new LogProcessor({ by_epoch: false });
  assert.equal(byIter.getLogAfterIter(runner, 9, 'val').logStr, 'Iter(val) [10/50]    eta: 0:00:05  time: 0.1000  data_time: 0.0100  memory: 1234  ');
  // A val run without a train loop: epoch 0, no alignment, tag iter 0.
  const bare = { ...runner, trainLoopBuilt: false };
  const standalone = p.getLogAfterIter(bare, 9, 'val');
  assert.match(standalone.logStr, /^Epoch\(val\)\[0\]\[10\/50\]    eta/);
  assert.equal(standalone.tag.iter, 0);
});

test('memory defaults to the process RSS in MB', () => {
  const runner = fakeRunner({ maxMemoryMB: undefined });
  runner.messageHub.updateScalar('train/loss', 1);
  const { tag, logStr } = new LogProcessor().getLogAfterIter(runner, 0, 'train');
  const rssMB = Math.floor(process.memoryUsage.rss() / 2 ** 20);
  assert.ok(Math.abs((tag.memory as number) - rssMB) < 64);
  assert.match(logStr, new RegExp(`memory: ${tag.memory}  loss: 1\\.0000$`));
});

test('after a val epoch: metrics, non-scalar infos, then the epoch means of data_time and time', () => {
  const runner = fakeRunner({ epoch: 1, maxEpochs: 12 });
  const hub = runner.messageHub;
  for (let i = 0; i < 50; i++) hub.updateScalars({ 'val/data_time': 0.01, 'val/time': i < 40 ? 0.2 : 0.1 });
  hub.updateScalars({ 'val/aAcc': 92.34, 'val/mIoU': 70.1, 'val/mAcc': 80 });
  hub.updateInfo('val/per_class', { road: 97.5, sky: 90 });
  const p = new LogProcessor();
  const { tag, logStr } = p.getLogAfterEpoch(runner, 50, 'val');
  assert.equal(logStr,
    "Epoch(val) [1][50/50]    aAcc: 92.3400  mIoU: 70.1000  mAcc: 80.0000  per_class: {'road': 97.5, 'sky': 90}  data_time: 0.0100  time: 0.1800");
  assert.deepEqual(Object.keys(tag), ['aAcc', 'mIoU', 'mAcc', 'data_time', 'time']);
  assert.equal(tag.mIoU, 70.1);
  assert.deepEqual(p.getLogAfterEpoch(runner, 50, 'val', true).tag.per_class, { road: 97.5, sky: 90 });

  const byIter = new LogProcessor({ by_epoch: false, log_with_hierarchy: true });
  const h = byIter.getLogAfterEpoch(runner, 50, 'val');
  assert.equal(h.logStr,
    "Iter(val) [50/50]    val/aAcc: 92.3400  val/mIoU: 70.1000  val/mAcc: 80.0000  val/per_class: {'road': 97.5, 'sky': 90}  val/data_time: 0.0100  val/time: 0.1800");
  assert.deepEqual(Object.keys(h.tag), ['val/aAcc', 'val/mIoU', 'val/mAcc', 'val/data_time', 'val/time']);

  hub.updateScalar('test/mIoU', 60);
  for (let i = 0; i < 5; i++) hub.updateScalars({ 'test/data_time': 0.5, 'test/time': 1 });
  assert.equal(p.getLogAfterEpoch(runner, 5, 'test').logStr, 'Epoch(test) [50/50]    mIoU: 60.0000  data_time: 0.5000  time: 1.0000');
  assert.throws(() => p.getLogAfterEpoch(runner, 5, 'train' as never), /mode must be 'val' \| 'test'/);
});

test("custom_cfg windows: int, 'epoch' (batch_idx + 1), 'global' (iter + 1), and an in-place override", () => {
  const runner = fakeRunner({ iter: 14, lengths: { train: 20 }, maxMemoryMB: () => undefined });
  // Losses 20, 19, ..., 1.
  for (let i = 0; i < 20; i++) runner.messageHub.updateScalar('train/loss', 20 - i);
  const p = new LogProcessor({
    custom_cfg: [
      { data_src: 'loss', method_name: 'mean', window_size: 'global', log_name: 'loss_global' },
      { data_src: 'loss', method_name: 'max', window_size: 'epoch', log_name: 'loss_epoch_max' },
      { data_src: 'loss', method_name: 'min', window_size: 3, log_name: 'loss_min3' },
      { data_src: 'loss', method_name: 'mean', window_size: 4 },
      { data_src: 'missing', method_name: 'mean', log_name: 'never' },
    ],
  });
  const { tag, logStr } = p.getLogAfterIter(runner, 4, 'train');
  // global: the last 15 values (15..1) -> 8; epoch: the last 5 -> max 5; the override: mean of 4..1.
  assert.equal(logStr, 'Epoch(train) [1][ 5/20]    loss: 2.5000  loss_global: 8.0000  loss_epoch_max: 5.0000  loss_min3: 1.0000');
  assert.deepEqual(Object.keys(tag), ['loss', 'loss_global', 'loss_epoch_max', 'loss_min3', 'epoch', 'iter']);
});

test('custom_cfg is validated as MMEngine does, errors naming the key path', () => {
  const dup = (cfg: unknown) => () => new LogProcessor({ custom_cfg: cfg as never });
  assert.throws(dup([{ data_src: 'loss', method_name: 'mean', log_name: 'l1' }, { data_src: 'loss', method_name: 'max', log_name: 'l1' }]),
    /^ConfigError: custom_cfg\.1\.log_name: log name 'l1' \(data_src 'loss'\) is already written by custom_cfg\.0/);
  assert.throws(dup([{ data_src: 'loss', method_name: 'mean' }, { data_src: 'loss', method_name: 'max' }]),
    /custom_cfg\.1\.data_src: log name 'loss'/);
  assert.throws(dup([{ data_src: 'loss', method_name: 'mean' }, { data_src: 'acc', method_name: 'max', log_name: 'loss' }]),
    /custom_cfg\.1\.log_name: log name 'loss' \(data_src 'acc'\)/);
  assert.throws(() => new LogProcessor({ by_epoch: false, custom_cfg: [{ data_src: 'loss', method_name: 'mean', window_size: 'epoch' }] }),
    /custom_cfg\.0\.window_size: 'epoch' needs by_epoch: true/);
  assert.throws(dup([{ data_src: 'loss', method_name: 'mean', window_size: 'all' }]),
    /custom_cfg\.0\.window_size: expected a positive integer, 'epoch' or 'global'/);
  assert.throws(dup([{ data_src: 'loss', method_name: 'median' }]), /custom_cfg\.0\.method_name: expected "mean" \| "min" \| "max" \| "current", got "median"/);
  assert.throws(dup([{ data_src: 'loss', method_name: 'current', window_size: 5 }]), /'current' takes no window_size/);
  assert.throws(dup([{ data_src: 'loss', method: 'mean' }]), /custom_cfg\.0/);
  assert.throws(() => new LogProcessor({ mean_pattern: '(' }), /mean_pattern: not a valid regular expression/);
  // Distinct log names over one data_src are fine.
  new LogProcessor({ custom_cfg: [
    { data_src: 'loss_cls', window_size: 100, method_name: 'min' },
    { data_src: 'loss', log_name: 'loss_min', method_name: 'max' },
    { data_src: 'loss', log_name: 'loss_max', method_name: 'max' },
  ] });
});

test('registered in LOG_PROCESSORS; built from a config with defaults', () => {
  const p = LOG_PROCESSORS.build<LogProcessor>({ type: 'LogProcessor', window_size: 50 }, { keyPath: ['log_processor'] });
  assert.ok(p instanceof LogProcessor);
  assert.equal(p.windowSize, 50);
  assert.equal(p.byEpoch, true);
  assert.equal(p.numDigits, 4);
  assert.deepEqual(p.customCfg, []);
  assert.throws(() => LOG_PROCESSORS.build({ type: 'LogProcessor', by_epoch: 'no' }, { keyPath: ['log_processor'] }),
    /log_processor\.by_epoch: expected boolean, got "no"/);
});

test('log_with_hierarchy: tag keys keep the mode prefix, the line does not', () => {
  const runner = fakeRunner({ iter: 0, maxIters: 10, maxMemoryMB: () => undefined });
  runner.messageHub.updateScalars({ 'train/lr': 0.1, 'train/data_time': 1, 'train/loss': 2, 'train/time': 3 });
  runner.messageHub.updateInfo('eta', 0);
  const { tag, logStr } = new LogProcessor({ by_epoch: false, log_with_hierarchy: true }).getLogAfterIter(runner, 0, 'train');
  assert.equal(logStr, 'Iter(train) [ 1/10]  lr: 1.0000e-01  eta: 0:00:00  time: 3.0000  data_time: 1.0000  loss: 2.0000');
  assert.deepEqual(Object.keys(tag), ['train/lr', 'train/data_time', 'train/loss', 'train/time', 'iter']);
});
