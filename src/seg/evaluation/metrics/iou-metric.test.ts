import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as torch from '../../../torch/index.js';
import { runPyTorch } from '../../../torch/testing/pytorch.js';
import { MMLogger } from '../../../engine/logging/logger.js';
import { METRICS } from '../../../engine/registry/index.js';
import { buildEvaluator } from '../../../engine/evaluator/index.js';
import { decodeImage } from '../../../engine/visualization/image.js';
import { IoUMetric } from './iou-metric.js';
import { classPercentF32, float32Repr, nanmeanF32, rint } from './numpy-float.js';

interface RefFile {
  inputs: { classes: string[]; ignore_index: number; labels: number[][][]; preds: number[][][] };
  evaluate_mIoU: Record<string, number>;
  evaluate_mIoU_mDice_mFscore: Record<string, number>;
  total_areas: Record<'intersect' | 'union' | 'pred_label' | 'label', number[]>;
  per_class_raw: Record<string, (number | null)[]>;
  per_class_table_x100_rounded2: Record<string, (number | null)[]>;
}
const REF = JSON.parse(readFileSync('/work/shared/reference/2e_metric_refs.json', 'utf8')) as RefFile;

/** Captures what the metric logs (the per-class table) through a logger made current for the test. */
function captureLog(): { text: () => string } {
  let out = '';
  MMLogger.getInstance(`iou-test-${Math.random()}`, { stream: { write: (t: string) => { out += t; } }, color: false });
  return { text: () => out };
}

const flat = (m: number[][]): number[] => m.flat();

/** The reference's three maps as SegDataSamples: labels as NdArrays and as a Tensor, predictions as int64 tensors. */
function referenceSamples(): unknown[] {
  return REF.inputs.preds.map((pred, i) => {
    const h = pred.length;
    const w = pred[0]!.length;
    const label = REF.inputs.labels[i]!;
    const gtData = i === 1
      ? torch.tensor(flat(label), { dtype: 'int64', shape: [1, h, w] })
      : { data: Uint8Array.from(flat(label)), shape: [1, h, w] };
    return {
      metainfo: { img_path: `data/img_${i}.jpg`, ori_shape: [h, w] },
      gt_sem_seg: { data: gtData },
      pred_sem_seg: { data: torch.tensor(flat(pred), { dtype: 'int64', shape: [1, h, w] }) },
    };
  });
}

function referenceMetric(options: Record<string, unknown> = {}): IoUMetric {
  const metric = METRICS.build<IoUMetric>({ type: 'IoUMetric', ...options });
  metric.datasetMeta = { classes: REF.inputs.classes };
  metric.process({}, referenceSamples());
  return metric;
}

const sameFloat32 = (actual: Float32Array, expected: (number | null)[], what: string): void => {
  assert.equal(actual.length, expected.length, what);
  expected.forEach((e, c) => {
    if (e === null) assert.ok(Number.isNaN(actual[c]), `${what}[${c}]: expected NaN, got ${actual[c]}`);
    else assert.equal(actual[c], Math.fround(e), `${what}[${c}]`);
  });
};

test('areas per class equal MMSeg\'s total areas (float32) for the reference maps', () => {
  const metric = referenceMetric();
  assert.equal(metric.results.length, 3);
  const totals = { intersect: new Float64Array(6), union: new Float64Array(6), predLabel: new Float64Array(6), label: new Float64Array(6) };
  for (const r of metric.results) {
    assert.ok(r.intersect instanceof Float32Array, 'areas are kept as float32 arrays, not tensors');
    for (const k of ['intersect', 'union', 'predLabel', 'label'] as const) r[k].forEach((v, c) => { totals[k][c]! += v; });
  }
  const near = (a: Float64Array, b: number[], what: string) => b.forEach((v, c) => assert.ok(Math.abs(a[c]! - v) <= 1e-6, `${what}[${c}] ${a[c]} vs ${v}`));
  near(totals.intersect, REF.total_areas.intersect, 'intersect');
  near(totals.union, REF.total_areas.union, 'union');
  near(totals.predLabel, REF.total_areas.pred_label, 'pred_label');
  near(totals.label, REF.total_areas.label, 'label');
});

test('mIoU summary equals the reference exactly and logs the per-class table', () => {
  const log = captureLog();
  const metric = referenceMetric();
  const values = metric.evaluate(3);
  assert.deepEqual(values, REF.evaluate_mIoU);
  assert.equal(metric.results.length, 0, 'evaluate clears the results');
  const text = log.text();
  assert.match(text, /per class results:/);
  // The table as PrettyTable prints MMSeg's float32 values (nan where a class is absent).
  assert.ok(text.includes([
    '+--------+-------+-------+',
    '| Class  |  IoU  |  Acc  |',
    '+--------+-------+-------+',
    '| class0 | 66.29 | 77.14 |',
    '| class1 | 65.16 | 77.65 |',
    '| class2 | 66.81 | 77.66 |',
    '| class3 | 66.24 | 77.01 |',
    '| class4 |  0.0  |  nan  |',
    '| class5 |  nan  |  nan  |',
    '+--------+-------+-------+',
  ].join('\n')), text);
});

test('mIoU + mDice + mFscore summary and per-class values equal the reference', () => {
  const metric = referenceMetric({ iou_metrics: ['mIoU', 'mDice', 'mFscore'] });
  const perClass = metric.perClassMetrics();
  for (const [key, expected] of Object.entries(REF.per_class_raw)) sameFloat32(perClass.get(key)!, expected, key);
  for (const [key, expected] of Object.entries(REF.per_class_table_x100_rounded2)) {
    sameFloat32(Float32Array.from(perClass.get(key)!, classPercentF32), expected, `table ${key}`);
  }
  captureLog();
  const values = metric.evaluate(3);
  assert.deepEqual(values, REF.evaluate_mIoU_mDice_mFscore);
  assert.deepEqual(Object.keys(values), ['aAcc', 'mIoU', 'mAcc', 'mDice', 'mFscore', 'mPrecision', 'mRecall']);
});

test('nan_to_num, beta and prefix change the results as in MMSeg', () => {
  captureLog();
  const metric = referenceMetric({ iou_metrics: 'mFscore', nan_to_num: 0, beta: 2, prefix: 'val' });
  const perClass = metric.perClassMetrics();
  assert.equal(perClass.get('Recall')![5], 0, 'NaN became 0');
  const p = perClass.get('Precision')![0]!;
  const r = perClass.get('Recall')![0]!;
  const f = Math.fround;
  assert.equal(perClass.get('Fscore')![0], f(f(f(5) * f(p * r)) / f(f(4 * p) + r)));
  const values = metric.evaluate(3);
  assert.deepEqual(Object.keys(values), ['val/aAcc', 'val/mFscore', 'val/mPrecision', 'val/mRecall']);
  // With NaN -> 0 the means run over all 6 classes.
  assert.equal(values['val/mRecall'], rint(nanmeanF32(perClass.get('Recall')!) * 100 * 100) / 100);
  assert.ok((values['val/mRecall'] as number) < REF.evaluate_mIoU_mDice_mFscore.mRecall!);
});

test('matches MMSeg\'s own computation (torch.histc + NumPy 1.x rounding) on 150 classes with ignore pixels', () => {
  const numClasses = 150;
  torch.manualSeed(7);
  const preds = [0, 1, 2].map(() => torch.randint(0, numClasses + 3, [1, 97, 131]));
  const labels = preds.map((p) => torch.where(torch.rand([1, 97, 131]).lt(0.55), p, torch.randint(0, numClasses, [1, 97, 131])).to('uint8'));
  // Some ignored pixels, some labels beyond the classes (not counted, as histc does).
  labels.forEach((l, i) => l.indexPut_([null, torch.arange(0, 20 + i), null], torch.tensor([255], { dtype: 'uint8' })));
  const metric = new IoUMetric({ iou_metrics: ['mIoU', 'mDice', 'mFscore'] });
  metric.datasetMeta = { classes: Array.from({ length: numClasses }, (_, c) => `c${c}`) };
  metric.process({}, preds.map((p, i) => ({ metainfo: {}, pred_sem_seg: { data: p }, gt_sem_seg: { data: labels[i]! } })));
  const perClass = metric.perClassMetrics();
  const py = runPyTorch(`
import numpy as np
n = ${numClasses}
def iau(pred, label):
    mask = label != 255
    pred = pred[mask]; label = label[mask]
    inter = pred[pred == label]
    h = lambda t: torch.histc(t.float(), bins=n, min=0, max=n - 1)
    ai, ap, al = h(inter), h(pred), h(label)
    return ai, ap + al - ai, ap, al
res = [iau(p.squeeze(), l.squeeze().to(p)) for p, l in [(p0, l0), (p1, l1), (p2, l2)]]
I, U, P, L = [sum(r[k] for r in res) for k in range(4)]
def f_score(p, r, beta=1):
    return (1 + beta**2) * (p * r) / ((beta**2 * p) + r)
m = {'aAcc': (I.sum() / L.sum()).numpy(), 'IoU': (I / U).numpy(), 'Acc': (I / L).numpy(),
     'Dice': (2 * I / (P + L)).numpy()}
prec = I / P; rec = I / L
m['Fscore'] = torch.tensor([f_score(x[0], x[1]) for x in zip(prec, rec)]).numpy()
m['Precision'] = prec.numpy(); m['Recall'] = rec.numpy()
for k, v in m.items():
    out[k] = torch.from_numpy(np.asarray(v, dtype=np.float32).reshape(-1))
    out['summary_' + k] = torch.tensor([float(np.round(np.nanmean(v) * 100, 2))], dtype=torch.float64)
    if k != 'aAcc':
        out['table_' + k] = torch.from_numpy(np.round(v * 100, 2).astype(np.float32))
`, { p0: preds[0]!, p1: preds[1]!, p2: preds[2]!, l0: labels[0]!, l1: labels[1]!, l2: labels[2]! });
  for (const key of ['aAcc', 'IoU', 'Acc', 'Dice', 'Fscore', 'Precision', 'Recall']) {
    const expected = py[key]!.toArray();
    sameFloat32(perClass.get(key)!, expected.map((v) => (Number.isNaN(v) ? null : v)), key);
    if (key !== 'aAcc') {
      const table = py[`table_${key}`]!.toArray();
      sameFloat32(Float32Array.from(perClass.get(key)!, classPercentF32), table.map((v) => (Number.isNaN(v) ? null : v)), `table ${key}`);
    }
  }
  captureLog();
  const values = metric.evaluate(3);
  const summaryKey = (k: string) => (k === 'aAcc' ? k : `m${k}`);
  for (const key of ['aAcc', 'IoU', 'Acc', 'Dice', 'Fscore', 'Precision', 'Recall']) {
    assert.equal(values[summaryKey(key)], py[`summary_${key}`]!.item(), key);
  }
});

test('output_dir writes predictions as PNGs named after the image; reduce_zero_label shifts them back up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-iou-'));
  const out = join(dir, 'preds');
  const metric = new IoUMetric({ output_dir: out, format_only: true });
  metric.datasetMeta = { classes: ['a', 'b', 'c'] };
  const pred = torch.tensor([0, 1, 2, 255, 1, 0], { dtype: 'int64', shape: [1, 2, 3] });
  metric.process({}, [
    { metainfo: { img_path: '/x/y/frame_001.jpg' }, pred_sem_seg: { data: pred } },
    { metainfo: { img_path: 'z/ADE_val_2.jpg', reduce_zero_label: true }, pred_sem_seg: { data: pred } },
  ]);
  assert.deepEqual(readdirSync(out).sort(), ['ADE_val_2.png', 'frame_001.png']);
  const read = async (f: string) => {
    assert.equal((await sharp(join(out, f)).metadata()).channels, 1, 'greyscale PNG (mode L)');
    const img = await decodeImage(join(out, f));
    assert.deepEqual([img.height, img.width, img.channels], [2, 3, 1]);
    return [...img.data];
  };
  assert.deepEqual(await read('frame_001.png'), [0, 1, 2, 255, 1, 0]);
  // 255 + 1 wraps to 0 as NumPy's astype(uint8) does.
  assert.deepEqual(await read('ADE_val_2.png'), [1, 2, 3, 0, 2, 1]);
  const log = captureLog();
  assert.deepEqual(metric.evaluate(2), {}, 'format_only computes no metrics');
  assert.match(log.text(), new RegExp(`results are saved to ${dir}`));
});

test('bad options and inputs give errors naming the key or the sample', () => {
  assert.throws(() => buildEvaluator({ type: 'IoUMetric', iou_metrics: ['mAP'] }, ['test_evaluator']), /test_evaluator\.iou_metrics\.0: .*mIoU/);
  assert.throws(() => new IoUMetric({ ignore_idx: 255 } as never), /ignore_idx/);
  const metric = new IoUMetric();
  assert.throws(() => metric.process({}, [{}]), /dataset_meta\.classes/);
  metric.datasetMeta = { classes: ['a', 'b'] };
  const pred = torch.zeros([1, 2, 2], { dtype: 'int64' });
  assert.throws(() => metric.process({}, [{ metainfo: { img_path: 'a.png' }, pred_sem_seg: { data: pred }, gt_sem_seg: { data: { data: new Uint8Array(6), shape: [1, 2, 3] } } }]),
    /data sample 0 \(a\.png\): prediction is 2x2 but the label is 2x3/);
  assert.throws(() => metric.process({}, [{ pred_sem_seg: { data: pred } }]), /no gt_sem_seg \(set format_only/);
});

test('float32 printing follows Python', () => {
  assert.equal(float32Repr(Math.fround(66.29)), '66.29');
  assert.equal(float32Repr(0), '0.0');
  assert.equal(float32Repr(NaN), 'nan');
  assert.equal(float32Repr(Math.fround(100)), '100.0');
  assert.equal(rint(2.5), 2);
  assert.equal(rint(3.5), 4);
  assert.equal(rint(-2.5), -2);
});
