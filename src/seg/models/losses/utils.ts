// Shared loss plumbing as MMSeg's losses/utils.py: reduction with weights and avg_factor, class weights from a list or a file.
import { readFileSync } from 'node:fs';
import type { Tensor } from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';

export type Reduction = 'none' | 'mean' | 'sum';

/** What every decode loss offers the heads: a name for the log and MMSeg's forward arguments. */
export interface LossCallOptions {
  /** Per-element weight (e.g. the OHEM sampler's [N, H, W] mask). */
  weight?: Tensor | null;
  /** Divides the summed loss instead of the element count ('mean' only). */
  avgFactor?: number | null;
  reductionOverride?: Reduction | null;
  /** Label value to ignore; the decode head passes its ignore_index. */
  ignoreIndex?: number | null;
}

export interface DecodeLoss extends nn.Module {
  /** The key of this loss in the losses dict ('loss_ce'); keys must start with 'loss_' to be summed. */
  readonly lossName: string;
  forward(pred: Tensor, target: Tensor, opts?: LossCallOptions): Tensor;
}

/** torch.finfo(torch.float32).eps: keeps divisions by an all-ignored count finite. */
export const FLOAT32_EPS = 1.1920928955078125e-7;

export function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  return loss;
}

/**
 * MMSeg's weight_reduce_loss: multiplies by `weight` (same rank as the loss), then reduces; with
 * avgFactor, 'mean' is sum / (avgFactor + eps) and 'sum' is refused.
 */
export function weightReduceLoss(loss: Tensor, weight: Tensor | null = null, reduction: Reduction = 'mean', avgFactor: number | null = null): Tensor {
  let weighted = loss;
  if (weight) {
    if (weight.ndim !== loss.ndim) {
      throw new RangeError(`loss weight of shape [${weight.shape.join(', ')}] must have the loss's rank (loss shape [${loss.shape.join(', ')}])`);
    }
    weighted = loss.mul(weight);
  }
  if (avgFactor === null) return reduceLoss(weighted, reduction);
  if (reduction === 'mean') return weighted.sum().div(avgFactor + FLOAT32_EPS);
  if (reduction === 'sum') throw new RangeError('avg_factor can not be used with reduction="sum"');
  return weighted;
}

/** Reads a 1-D .npy array (little-endian float32/float64/int32/int64). */
function readNpy(file: string): number[] {
  const buf = readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran-ordered arrays are not supported`);
  const body = buf.subarray(start);
  const copy = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  switch (descr) {
    case '<f4': return Array.from(new Float32Array(copy));
    case '<f8': return Array.from(new Float64Array(copy));
    case '<i4': return Array.from(new Int32Array(copy));
    case '<i8': return Array.from(new BigInt64Array(copy), Number);
    default: throw new Error(`${file}: class_weight .npy dtype '${descr}' is not supported (float32/float64/int32/int64)`);
  }
}

/** MMSeg's get_class_weight: a list as is, or a path to a .npy or .json file holding the list. */
export function getClassWeight(classWeight: number[] | string | null | undefined): number[] | null {
  if (classWeight === null || classWeight === undefined) return null;
  if (Array.isArray(classWeight)) return classWeight;
  if (classWeight.endsWith('.npy')) return readNpy(classWeight);
  if (classWeight.endsWith('.json')) {
    const value = JSON.parse(readFileSync(classWeight, 'utf8')) as unknown;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'number')) throw new Error(`${classWeight}: expected a JSON list of numbers for class_weight`);
    return value as number[];
  }
  throw new Error(`class_weight: ${classWeight}: expected a .npy or .json file`);
}
