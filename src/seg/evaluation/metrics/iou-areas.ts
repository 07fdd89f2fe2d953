// The per-class areas IoUMetric keeps per image, and the metrics MMSeg derives from their totals.
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import { float32Repr } from './numpy-float.js';

const f32 = Math.fround;

/** Pixel counts per class (float32, as MMSeg's torch.histc gives them). */
export interface IouAreas {
  intersect: Float32Array;
  union: Float32Array;
  predLabel: Float32Array;
  label: Float32Array;
}

export type IouMetricName = 'mIoU' | 'mDice' | 'mFscore';

/**
 * MMSeg's IoUMetric.intersect_and_union with tensor ops: pixels whose label is `ignoreIndex` are
 * dropped, then each class is counted among the labels, the predictions and the pixels where both
 * agree. As with histc(min=0, max=numClasses-1), values outside 0..numClasses-1 are not counted.
 */
export function intersectAndUnion(predLabel: Tensor, label: Tensor, numClasses: number, ignoreIndex: number): IouAreas {
  return torch.tidy(() => {
    const pred = predLabel.flatten().long();
    const gt = label.flatten().to({ dtype: 'int64', device: pred.device });
    const valid = gt.ne(ignoreIndex);
    const inRange = (t: Tensor): Tensor => t.ge(0).logicalAnd(t.lt(numClasses));
    // Values not to count go to the extra bin numClasses, which is cut off.
    const count = (values: Tensor, keep: Tensor): Float32Array =>
      torch.where(keep, values, numClasses).bincount(null, numClasses + 1).slice(0, 0, numClasses).float().cpu().data() as Float32Array;
    const labelKeep = valid.logicalAnd(inRange(gt));
    const area = {
      intersect: count(gt, labelKeep.logicalAnd(pred.eq(gt))),
      predLabel: count(pred, valid.logicalAnd(inRange(pred))),
      label: count(gt, labelKeep),
    };
    const union = area.predLabel.map((p, c) => f32(f32(p + area.label[c]!) - area.intersect[c]!));
    return { ...area, union };
  }, 'IoUMetric.intersectAndUnion');
}

/** Python's `sum(list of float32 tensors)`: elementwise, in order, in float32. */
export function sumAreas(results: readonly IouAreas[], numClasses: number): IouAreas {
  const total = (): Float32Array => new Float32Array(numClasses);
  const out: IouAreas = { intersect: total(), union: total(), predLabel: total(), label: total() };
  for (const r of results) {
    for (const key of ['intersect', 'union', 'predLabel', 'label'] as const) {
      const acc = out[key];
      const add = r[key];
      if (add.length !== numClasses) throw new RangeError(`IoUMetric: a result has ${add.length} classes, expected ${numClasses}`);
      for (let c = 0; c < numClasses; c++) acc[c] = f32(acc[c]! + add[c]!);
    }
  }
  return out;
}

/** torch.Tensor.sum of a float32 vector (libtorch's own summation order). */
function torchSumF32(values: Float32Array): number {
  return torch.tidy(() => torch.tensor(values).sum().item());
}

/**
 * MMSeg's IoUMetric.total_area_to_metrics in float32: aAcc (one value) plus, per requested metric,
 * IoU/Acc, Dice/Acc or Fscore/Precision/Recall per class, in MMSeg's key order. NaN (0/0) is
 * replaced with `nanToNum` when given.
 */
export function totalAreaToMetrics(total: IouAreas, metrics: readonly IouMetricName[], nanToNum: number | null = null, beta = 1): Map<string, Float32Array> {
  const { intersect, predLabel, label } = total;
  const perClass = (fn: (c: number) => number): Float32Array => Float32Array.from(intersect, (_, c) => fn(c));
  const ret = new Map<string, Float32Array>();
  ret.set('aAcc', Float32Array.of(f32(torchSumF32(intersect) / torchSumF32(label))));
  const acc = (): Float32Array => perClass((c) => f32(intersect[c]! / label[c]!));
  for (const metric of metrics) {
    if (metric === 'mIoU') {
      ret.set('IoU', perClass((c) => f32(intersect[c]! / total.union[c]!)));
      ret.set('Acc', acc());
    } else if (metric === 'mDice') {
      ret.set('Dice', perClass((c) => f32(f32(2 * intersect[c]!) / f32(predLabel[c]! + label[c]!))));
      ret.set('Acc', acc());
    } else {
      const precision = perClass((c) => f32(intersect[c]! / predLabel[c]!));
      const recall = acc();
      // (1 + beta^2) * (p * r) / (beta^2 * p + r), each op on float32 tensors (Python scalars cast to float32).
      const b2 = beta ** 2;
      const fscore = perClass((c) => {
        const p = precision[c]!;
        const r = recall[c]!;
        return f32(f32(f32(1 + b2) * f32(p * r)) / f32(f32(f32(b2) * p) + r));
      });
      ret.set('Fscore', fscore);
      ret.set('Precision', precision);
      ret.set('Recall', recall);
    }
  }
  if (nanToNum !== null) {
    const fill = f32(nanToNum);
    for (const [k, v] of ret) ret.set(k, v.map((x) => (Number.isNaN(x) ? fill : x)));
  }
  return ret;
}

/**
 * PrettyTable's default text table (MMSeg logs per-class results with it): centred cells, one
 * space of padding, `+---+` rules. Numbers print as Python prints NumPy float32 values.
 */
export function formatTable(columns: ReadonlyMap<string, readonly (string | number)[]>): string {
  const cols = [...columns].map(([header, values]) => ({
    header,
    cells: values.map((v) => (typeof v === 'number' ? float32Repr(v) : v)),
  }));
  const widths = cols.map((c) => Math.max(c.header.length, ...c.cells.map((s) => s.length)));
  const centre = (text: string, width: number): string => {
    const excess = width - text.length;
    // PrettyTable puts the odd space on the right of odd-length text and on the left of even-length text.
    const left = excess % 2 && text.length % 2 === 0 ? Math.floor(excess / 2) + 1 : Math.floor(excess / 2);
    return ' '.repeat(left) + text + ' '.repeat(excess - left);
  };
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const row = (cells: string[]): string => '|' + cells.map((c, i) => ` ${centre(c, widths[i]!)} `).join('|') + '|';
  const rows = cols.length ? cols[0]!.cells.map((_, r) => row(cols.map((c) => c.cells[r] ?? ''))) : [];
  return [rule, row(cols.map((c) => c.header)), rule, ...rows, rule].join('\n');
}
