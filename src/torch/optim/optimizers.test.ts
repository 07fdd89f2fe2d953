// Every optimizer and its main options against torch.optim 1.13: parameters, state values
// and state_dict layout after the same fixed gradients (one PyTorch run for all cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';
import { tidy } from '../memory.js';
import { runPyTorch, assertClose } from '../testing/pytorch.js';
import { optimizers, type Optimizer, type ParamState, type ParamsInput } from './index.js';

const STEPS = 7; // RAdam's rectified branch starts at step 6 with the default betas
const TOL = { rtol: 1e-5, atol: 1e-6 };

interface Case {
  type: string;
  options: Record<string, unknown>;
  /** lr set on every group before each step, as a scheduler would. */
  lrs?: number[];
  /** Extra keys for group 0 (w and the grad-less f) and group 1 (b). */
  groups?: [Record<string, unknown>, Record<string, unknown>];
}

const CASES: Case[] = [
  { type: 'SGD', options: { lr: 0.1 } },
  { type: 'SGD', options: { lr: 0.1, momentum: 0.9 } },
  { type: 'SGD', options: { lr: 0.1, momentum: 0.9, dampening: 0.1, weight_decay: 0.01 } },
  { type: 'SGD', options: { lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01 } },
  { type: 'SGD', options: { lr: 0.05, momentum: 0.5, maximize: true } },
  { type: 'SGD', options: { lr: 0.1, momentum: 0.9 }, lrs: [0.1, 0.05, 0.02, 0.2, 0.01, 0.03, 0.07] },
  { type: 'SGD', options: { momentum: 0.9 }, groups: [{ lr: 0.1, lr_mult: 1, group_name: 'body' }, { lr: 0.02, weight_decay: 0.5, decay_mult: 0 }] },
  { type: 'Adam', options: {} },
  { type: 'Adam', options: { lr: 0.01, weight_decay: 0.1, amsgrad: true } },
  { type: 'Adam', options: { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, maximize: true } },
  { type: 'Adam', options: { lr: 0.01 }, lrs: [0.01, 0.02, 0.005, 0.05, 0.001, 0.03, 0.01] },
  { type: 'Adam', options: { lr: 0.01, amsgrad: true }, groups: [{ initial_lr: 0.01, lr_mult: 0.1 }, { lr: 0.1, betas: [0.5, 0.9] }] },
  { type: 'AdamW', options: { lr: 0.01 } },
  { type: 'AdamW', options: { lr: 0.01, weight_decay: 0.05, amsgrad: true, maximize: true } },
  { type: 'Adamax', options: {} },
  { type: 'Adamax', options: { lr: 0.01, weight_decay: 0.1, maximize: true } },
  { type: 'NAdam', options: {} },
  { type: 'NAdam', options: { lr: 0.01, weight_decay: 0.1, momentum_decay: 0.01 } },
  { type: 'RAdam', options: {} },
  { type: 'RAdam', options: { lr: 0.01, betas: [0.9, 0.95], weight_decay: 0.1 } },
  { type: 'Adagrad', options: {} },
  { type: 'Adagrad', options: { lr: 0.1, lr_decay: 0.01, weight_decay: 0.1, initial_accumulator_value: 0.5, eps: 1e-8, maximize: true } },
  { type: 'Adadelta', options: {} },
  { type: 'Adadelta', options: { lr: 0.5, rho: 0.8, eps: 1e-5, weight_decay: 0.1, maximize: true } },
  { type: 'RMSprop', options: {} },
  { type: 'RMSprop', options: { lr: 0.01, alpha: 0.9, centered: true, momentum: 0.9, weight_decay: 0.1 } },
  { type: 'RMSprop', options: { centered: true } },
  { type: 'RMSprop', options: { lr: 0.01, momentum: 0.5, maximize: true } },
  { type: 'ASGD', options: {} },
  { type: 'ASGD', options: { lr: 0.05, lambd: 0.01, alpha: 0.5, t0: 2, weight_decay: 0.1, maximize: true } },
  { type: 'Rprop', options: {} },
  { type: 'Rprop', options: { lr: 0.05, etas: [0.3, 1.5], step_sizes: [0.01, 0.2], maximize: true } },
];

const fill = (shape: number[], f: (i: number) => number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, (_, i) => f(i)), { shape });
};
const inputs = {
  w0: fill([3, 4], (i) => Math.sin(i * 0.7) * 0.8),
  b0: fill([4], (i) => Math.cos(i) * 0.3),
  f0: fill([2], (i) => i * 0.1 + 0.5),
  // Gradients change sign between steps so Rprop's and the momentum rules' branches all run.
  gw: fill([STEPS, 3, 4], (i) => Math.sin(1.3 * (i % 12) + 2.1 * Math.floor(i / 12)) * (1 + 0.2 * Math.floor(i / 12))),
  gb: fill([STEPS, 4], (i) => Math.cos(0.9 * (i % 4) + 1.7 * Math.floor(i / 4)) * 0.5),
  x: fill([5, 3], (i) => Math.sin(i * 1.1)),
  y: fill([5, 4], (i) => Math.cos(i * 0.4)),
};

const SCRIPT = `
STEPS = ${STEPS}
cases = json.loads(${JSON.stringify(JSON.stringify(CASES))})
def summarize(v):
    if isinstance(v, torch.Tensor):
        return {'shape': list(v.shape), 'dtype': str(v.dtype).replace('torch.', '')}
    return v
layouts = []
for i, c in enumerate(cases):
    w = w0.clone().requires_grad_(); b = b0.clone().requires_grad_(); f = f0.clone().requires_grad_()
    if c.get('groups'):
        params = [dict(params=[w, f], **c['groups'][0]), dict(params=[b], **c['groups'][1])]
    else:
        params = [w, f, b]
    opt = getattr(torch.optim, c['type'])(params, **c['options'])
    for s in range(STEPS):
        if c.get('lrs'):
            for g in opt.param_groups:
                g['lr'] = c['lrs'][s]
        w.grad = gw[s].clone(); b.grad = gb[s].clone()
        opt.step()
    out[f'c{i}_w'] = w; out[f'c{i}_b'] = b; out[f'c{i}_f'] = f
    sd = opt.state_dict()
    for k, st in sd['state'].items():
        for key, v in st.items():
            if isinstance(v, torch.Tensor):
                out[f'c{i}_s{k}_{key}'] = v
            elif isinstance(v, (int, float)):
                out[f'c{i}_s{k}_{key}'] = torch.tensor(float(v))
    layouts.append({'state': {str(k): {key: summarize(v) for key, v in st.items()} for k, st in sd['state'].items()},
                    'param_groups': sd['param_groups']})
out['layout'] = torch.tensor(list(json.dumps(layouts).encode()), dtype=torch.uint8)

for name in ['SGD', 'Adam']:
    w = w0.clone().requires_grad_(); b = b0.clone().requires_grad_()
    opt = getattr(torch.optim, name)([w, b], lr=0.05)
    def closure():
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        return loss
    out[f'closure_{name}_loss'] = torch.stack([opt.step(closure).detach() for _ in range(STEPS)])
    out[f'closure_{name}_w'] = w; out[f'closure_{name}_b'] = b
`;

const ref = runPyTorch(SCRIPT, inputs);
const refLayouts = JSON.parse(Buffer.from(Uint8Array.from(ref.layout!.toArray())).toString('utf8')) as Layout[];

interface Layout { state: Record<string, Record<string, unknown>>; param_groups: Record<string, unknown>[] }

function summarize(v: Tensor | number | null): unknown {
  return v instanceof Tensor ? { shape: v.shape, dtype: v.dtype } : v;
}

function runCase(c: Case): { opt: Optimizer; w: Tensor; b: Tensor; f: Tensor } {
  const w = inputs.w0.clone().requiresGrad_();
  const b = inputs.b0.clone().requiresGrad_();
  const f = inputs.f0.clone().requiresGrad_();
  const params: ParamsInput = c.groups ? [{ params: [w, f], ...c.groups[0] }, { params: [b], ...c.groups[1] }] : [w, f, b];
  const opt = new optimizers[c.type]!(params, c.options);
  for (let s = 0; s < STEPS; s++) {
    if (c.lrs) for (const g of opt.paramGroups) g.lr = c.lrs[s]!;
    tidy(() => {
      w.grad = inputs.gw.select(0, s).clone();
      b.grad = inputs.gb.select(0, s).clone();
    });
    opt.step();
  }
  return { opt, w, b, f };
}

CASES.forEach((c, i) => {
  const label = `${c.type} ${JSON.stringify(c.options)}${c.lrs ? ' lr changed every step' : ''}${c.groups ? ' two groups' : ''}`;
  test(`${label} matches torch.optim over ${STEPS} steps`, () => {
    const { opt, w, b, f } = runCase(c);
    assertClose(w, ref[`c${i}_w`]!, { ...TOL, name: `${label} w` });
    assertClose(b, ref[`c${i}_b`]!, { ...TOL, name: `${label} b` });
    assert.deepEqual(f.toArray(), inputs.f0.toArray(), 'a parameter without grad is untouched');

    const sd = opt.stateDict();
    const expected = refLayouts[i]!;
    assert.deepEqual(Object.keys(sd.state), Object.keys(expected.state), 'state entries (parameter indices)');
    for (const [k, entry] of Object.entries(sd.state) as [string, ParamState][]) {
      const mine = Object.fromEntries(Object.entries(entry).map(([key, v]) => [key, summarize(v)]));
      assert.equal(JSON.stringify(mine), JSON.stringify(expected.state[k]), `state ${k}: keys, order and kinds`);
      for (const [key, v] of Object.entries(entry)) {
        if (v === null) continue;
        const actual = v instanceof Tensor ? v : tensor([v], { dtype: 'float64' }).reshape();
        assertClose(actual, ref[`c${i}_s${k}_${key}`]!, { ...TOL, name: `${label} state ${k}.${key}` });
      }
    }
    assert.equal(JSON.stringify(sd.param_groups), JSON.stringify(expected.param_groups), 'param_groups: keys, order and values');
  });
});

for (const name of ['SGD', 'Adam']) {
  test(`${name}.step(closure) returns the closure's loss and matches PyTorch`, () => {
    const w = inputs.w0.clone().requiresGrad_();
    const b = inputs.b0.clone().requiresGrad_();
    const opt = new optimizers[name]!([w, b], { lr: 0.05 });
    const closure = (): number => tidy(() => {
      opt.zeroGrad();
      const loss = inputs.x.matmul(w).add(b).sub(inputs.y).pow(2).mean();
      loss.backward();
      return loss.item();
    });
    const losses = Array.from({ length: STEPS }, () => opt.step(closure)!);
    assertClose(tensor(losses, { dtype: 'float64' }), ref[`closure_${name}_loss`]!, { ...TOL, name: `${name} losses` });
    assertClose(w, ref[`closure_${name}_w`]!, { ...TOL, name: `${name} w` });
    assertClose(b, ref[`closure_${name}_b`]!, { ...TOL, name: `${name} b` });
  });
}
