// Grad-mode scopes and torch.autograd.grad / backward over several tensors.
import { native } from './native.js';
import { Tensor } from './tensor.js';

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = native.isGradEnabled();
  native.setGradEnabled(enabled);
  try {
    const result = fn();
    if (result instanceof Promise) {
      // Grad mode is thread state: restoring it only after the promise settles would leak it into other tasks.
      throw new Error('segkit: noGrad()/enableGrad() take a synchronous function');
    }
    return result;
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs `fn` without recording autograd history (torch.no_grad). */
export const noGrad = <T>(fn: () => T): T => withGradMode(false, fn);
/** Runs `fn` with autograd recording on (torch.enable_grad). */
export const enableGrad = <T>(fn: () => T): T => withGradMode(true, fn);
export const isGradEnabled = (): boolean => native.isGradEnabled();
export const setGradEnabled = (on: boolean): void => native.setGradEnabled(on);

/** torch.autograd.backward over several roots. */
export function backward(tensors: Tensor[], grads?: (Tensor | null)[] | null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  native.backward(tensors.map((t) => t.handle), grads ? grads.map((g) => g?.handle ?? null) : null,
    opts.retainGraph ?? opts.createGraph ?? false, opts.createGraph ?? false);
}

/** torch.autograd.grad: gradients of `outputs` with respect to `inputs` (null where unused and allowUnused). */
export function grad(
  outputs: Tensor | Tensor[], inputs: Tensor | Tensor[],
  opts: { gradOutputs?: (Tensor | null)[]; retainGraph?: boolean; createGraph?: boolean; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const outs = [outputs].flat().map((t) => t.handle);
  const ins = [inputs].flat().map((t) => t.handle);
  const res = native.autogradGrad(outs, ins, opts.gradOutputs?.map((g) => g?.handle ?? null) ?? null,
    opts.retainGraph, opts.createGraph ?? false, opts.allowUnused ?? false);
  return res.map((h) => (h === null ? null : new Tensor(h)));
}
