// Test support: runs forward + backward of functional ops in segkit and in PyTorch (one Python call for many cases).
import { Tensor } from '../tensor.js';
import { randn } from '../creation.js';
import { tidy, keep } from '../memory.js';
import { runPyTorch, assertClose } from '../testing/pytorch.js';

export interface GradCase {
  name: string;
  /** Float inputs that get requires_grad; their gradients are compared. */
  grad: Record<string, Tensor>;
  /** Other inputs (targets, running stats, masks): cloned, passed as is, and compared after the call (catches in-place updates). */
  other?: Record<string, Tensor>;
  /** The segkit call. */
  js: (t: Record<string, Tensor>) => Tensor;
  /** A Python expression over the same names, with `F` = torch.nn.functional. */
  py: string;
  /** Skip the backward pass (outputs that are not differentiable). */
  noGrad?: boolean;
}

export interface CaseResult {
  name: string;
  actual: Record<string, Tensor>;
  expected: Record<string, Tensor>;
}

const key = (i: number, name: string): string => `c${i}_${name}`;

/**
 * For each case: out = f(inputs); (out * r).sum().backward() with a fixed random r,
 * in segkit and in PyTorch. Returns out, every input gradient and every `other` input after the call.
 */
export function runGradCases(cases: GradCase[], prelude = ''): CaseResult[] {
  const pyInputs: Record<string, Tensor> = {};
  const actual: Record<string, Tensor>[] = [];
  let script = 'import torch.nn.functional as F\nimport math\n' + prelude + `
def _case(p, grad_names, other_names, fn, backward):
    env = {n: inputs[p + n].clone().requires_grad_(backward) for n in grad_names}
    env.update({n: inputs[p + n].clone() for n in other_names})
    o = fn(**env)
    out[p + 'out'] = o
    if backward:
        (o * inputs[p + 'r']).sum().backward()
        for n in grad_names:
            out[p + 'grad_' + n] = env[n].grad
    for n in other_names:
        out[p + 'after_' + n] = env[n]
`;
  cases.forEach((c, i) => {
    const res = tidy(() => {
      const leaves: Record<string, Tensor> = {};
      for (const [n, t] of Object.entries(c.grad)) leaves[n] = t.clone().detach().requiresGrad_(!c.noGrad);
      const others: Record<string, Tensor> = {};
      for (const [n, t] of Object.entries(c.other ?? {})) others[n] = t.clone();
      const out = c.js({ ...leaves, ...others });
      const r: Record<string, Tensor> = { out: out.detach() };
      if (!c.noGrad) {
        const probe = keep(randn(out.shape, { dtype: out.dtype }));
        pyInputs[key(i, 'r')] = probe;
        out.mul(probe).sum().backward();
        for (const [n, t] of Object.entries(leaves)) r['grad_' + n] = t.grad ?? (() => { throw new Error(`${c.name}: no gradient reached ${n}`); })();
      }
      for (const [n, t] of Object.entries(others)) r['after_' + n] = t;
      return r;
    });
    actual.push(res);
    for (const [n, t] of Object.entries({ ...c.grad, ...(c.other ?? {}) })) pyInputs[key(i, n)] = t;
    const names = [...Object.keys(c.grad), ...Object.keys(c.other ?? {})];
    script += `_case('c${i}_', ${JSON.stringify(Object.keys(c.grad))}, ${JSON.stringify(Object.keys(c.other ?? {}))}, ` +
      `lambda ${names.join(', ')}: ${c.py}, ${c.noGrad ? 'False' : 'True'})\n`;
  });
  const ref = runPyTorch(script, pyInputs);
  return cases.map((c, i) => {
    const expected: Record<string, Tensor> = {};
    for (const n of Object.keys(actual[i]!)) {
      const e = ref[key(i, n)];
      if (!e) throw new Error(`${c.name}: PyTorch returned no '${n}'`);
      expected[n] = e;
    }
    return { name: c.name, actual: actual[i]!, expected };
  });
}

/** Compares every output of one case (forward, gradients, state after the call). */
export function assertCase(r: CaseResult, tol: { rtol?: number; atol?: number } = {}): void {
  for (const [n, a] of Object.entries(r.actual)) {
    assertClose(a, r.expected[n]!, { rtol: tol.rtol ?? 1e-5, atol: tol.atol ?? 1e-6, name: `${r.name}: ${n}` });
  }
}
