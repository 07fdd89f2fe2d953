// Runs a snippet of Python with Debian's python3-torch on tensors from segkit and
// returns its results, so tests compare segkit with PyTorch side by side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';
import { getNumThreads } from '../runtime.js';

/** The Python with torch that reference runs and benchmarks use (Debian's python3-torch unless SEGKIT_PYTHON names another). */
export const PYTHON = process.env.SEGKIT_PYTHON ?? '/usr/bin/python3';

const PRELUDE = `
import json, sys, torch
torch.set_num_threads(int(sys.argv[2]))
_dir = sys.argv[1]
_meta = json.load(open(_dir + '/in.json'))
inputs = {}
for _name, _m in _meta.items():
    _raw = open(_dir + '/' + _name + '.bin', 'rb').read()
    _t = torch.frombuffer(bytearray(_raw), dtype=getattr(torch, _m['dtype'])).reshape(_m['shape']).clone()
    inputs[_name] = _t
globals().update(inputs)
out = {}
`;

const EPILOGUE = `
_meta = {}
for _name, _v in out.items():
    _t = torch.as_tensor(_v).detach().to(torch.float64).contiguous()
    open(_dir + '/out_' + _name + '.bin', 'wb').write(_t.numpy().tobytes())
    _meta[_name] = list(_t.shape)
json.dump(_meta, open(_dir + '/out.json', 'w'))
`;

/**
 * Runs `script` with each input bound to a Python variable of the same name (a torch
 * tensor of the same dtype and shape). The script fills `out[name] = tensor`; the
 * results come back as float64 Tensors.
 */
export function runPyTorch(script: string, inputs: Record<string, Tensor> = {}): Record<string, Tensor> {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-pt-'));
  try {
    const meta: Record<string, { shape: number[]; dtype: string }> = {};
    for (const [name, t] of Object.entries(inputs)) {
      const dtype = t.dtype === 'bool' ? 'bool' : t.dtype;
      const wide = t.dtype === 'float16' || t.dtype === 'bfloat16' ? t.to('float32') : t;
      const data = wide.contiguous().data();
      writeFileSync(join(dir, `${name}.bin`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      meta[name] = { shape: t.shape, dtype: wide === t ? dtype : 'float32' };
    }
    writeFileSync(join(dir, 'in.json'), JSON.stringify(meta));
    const code = PRELUDE + script.replace(/^\n/, '') + '\n' + EPILOGUE;
    try {
      execFileSync(PYTHON, ['-c', code, dir, String(getNumThreads())], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`PyTorch reference script failed: ${e.stderr?.toString() ?? e.message}`);
    }
    const outMeta = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Record<string, number[]>;
    const result: Record<string, Tensor> = {};
    for (const [name, shape] of Object.entries(outMeta)) {
      const buf = readFileSync(join(dir, `out_${name}.bin`));
      const arr = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      result[name] = tensor(arr, { shape });
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts |a - b| <= atol + rtol * |b| elementwise, with a message naming the worst element. */
export function assertClose(actual: Tensor, expected: Tensor, opts: { rtol?: number; atol?: number; name?: string } = {}): void {
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-6;
  const label = opts.name ?? 'tensor';
  const a = actual.shape;
  const b = expected.shape;
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
    throw new Error(`${label}: shape [${a.join(', ')}] differs from expected [${b.join(', ')}]`);
  }
  const x = actual.toArray();
  const y = expected.toArray();
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < x.length; i++) {
    const excess = Math.abs(x[i]! - y[i]!) - (atol + rtol * Math.abs(y[i]!));
    if (excess > worstExcess || Number.isNaN(x[i]!) !== Number.isNaN(y[i]!)) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new Error(`${label}: element ${worst} is ${x[worst]}, expected ${y[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}
