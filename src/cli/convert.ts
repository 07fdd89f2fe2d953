// `segkit convert IN OUT`: a segkit .ckpt to a PyTorch .pth in MMSegmentation's layout (meta,
// state_dict, optimizer, param_schedulers), or a .pth back to a segkit .ckpt (meta + weights).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import * as torch from '../torch/index.js';
import { OrderedDict, PickleRecord, NumpyArray, saveTorchFile } from '../torch/serialization/index.js';
import { checkpointFormat, loadCheckpointFile, saveCheckpointFile } from '../engine/runner/checkpoint-file.js';
import { weightsOf } from '../engine/runner/checkpoint.js';

export interface ConvertResult {
  direction: 'ckpt-to-pth' | 'pth-to-ckpt';
  tensors: number;
  /** What was left out, with the reason. */
  dropped: string[];
}

/** PyTorch's optimizer layout: `state` keyed by int parameter index, `param_groups` as they are. */
function torchOptimizer(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const { state, ...rest } = value as { state?: Record<string, unknown> };
  if (!state || typeof state !== 'object' || state instanceof Map) return value;
  return { state: new Map(Object.entries(state).map(([k, v]) => [Number(k), v])), ...rest };
}

/** Plain data segkit's .ckpt can hold: tuples become lists, numpy arrays number lists, objects of unknown classes are dropped. */
function toPlain(v: unknown, path: string, dropped: string[]): unknown {
  if (v instanceof torch.Tensor || v === null || typeof v !== 'object') {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
    return v;
  }
  if (v instanceof PickleRecord) {
    dropped.push(`${path} (a Python ${v.__class__})`);
    return undefined;
  }
  if (v instanceof NumpyArray) return Array.from(v.data as unknown as ArrayLike<number | bigint>, Number);
  if (v instanceof Uint8Array) {
    dropped.push(`${path} (bytes)`);
    return undefined;
  }
  if (v instanceof Set) return [...v].map((x, i) => toPlain(x, `${path}[${i}]`, dropped));
  if (Array.isArray(v)) return Array.from(v, (x, i) => toPlain(x, `${path}[${i}]`, dropped) ?? null);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [String(k), toPlain(x, `${path}.${String(k)}`, dropped)]));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = toPlain(x, path ? `${path}.${k}` : k, dropped);
    if (p !== undefined) out[k] = p;
  }
  return out;
}

/** Converts between segkit's .ckpt and PyTorch's .pth, choosing the direction from IN's content. */
export function convertCheckpoint(input: string, output: string): ConvertResult {
  const format = checkpointFormat(input);
  const ckpt = loadCheckpointFile(input);
  const dropped: string[] = [];
  mkdirSync(dirname(resolve(output)), { recursive: true });
  try {
    if (format === 'segkit') {
      const weights = weightsOf(ckpt, input);
      const out: Record<string, unknown> = {
        meta: ckpt.meta ?? {},
        state_dict: new OrderedDict<string, torch.Tensor>(weights),
      };
      if (ckpt.optimizer !== undefined) out.optimizer = torchOptimizer(ckpt.optimizer);
      if (ckpt.param_schedulers !== undefined) out.param_schedulers = ckpt.param_schedulers;
      for (const k of Object.keys(ckpt)) if (!(k in out) && k !== 'state_dict') dropped.push(`${k} (segkit-only training state)`);
      saveTorchFile(out, output);
      return { direction: 'ckpt-to-pth', tensors: weights.size, dropped };
    }
    const weights = weightsOf(ckpt, input);
    const out: Record<string, unknown> = { state_dict: weights };
    if (ckpt.state_dict !== undefined) {
      const meta = toPlain(ckpt.meta ?? {}, 'meta', dropped);
      out.meta = meta;
      for (const k of Object.keys(ckpt)) if (k !== 'meta' && k !== 'state_dict') dropped.push(`${k} (resuming from a PyTorch checkpoint is not supported; weights only)`);
    }
    saveCheckpointFile(out, output);
    return { direction: 'pth-to-ckpt', tensors: weights.size, dropped };
  } finally {
    torch.dispose(ckpt);
  }
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a segkit .ckpt to a PyTorch .pth (MMSegmentation layout), or a .pth to a .ckpt')
    .argument('<in>', 'checkpoint to read (.ckpt or .pth; the format is read from the content)')
    .argument('<out>', 'file to write (the other format)')
    .action((input: string, output: string) => {
      const r = convertCheckpoint(input, output);
      const what = r.direction === 'ckpt-to-pth' ? 'PyTorch .pth' : 'segkit .ckpt';
      console.log(`${output}: wrote a ${what} with ${r.tensors} weight tensors from ${input}`);
      if (r.dropped.length) console.log(`left out: ${r.dropped.join(', ')}`);
    });
}
