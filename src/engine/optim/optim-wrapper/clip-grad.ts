// The `clip_grad` option of optimizer wrappers: clip_grad_norm_ (default) or clip_grad_value_ arguments.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../config/errors.js';

const clipGradNormSchema = z.object({
  type: z.literal('norm').optional(),
  max_norm: z.number(),
  norm_type: z.union([z.number(), z.literal('inf')]).default(2),
  error_if_nonfinite: z.boolean().default(false),
}).strict();

const clipGradValueSchema = z.object({
  type: z.literal('value'),
  clip_value: z.number(),
}).strict();

export type ClipGradConfig =
  | { type: 'norm'; maxNorm: number; normType: number; errorIfNonfinite: boolean }
  | { type: 'value'; clipValue: number };

const describe = (v: unknown): string => (v === undefined ? 'nothing' : Array.isArray(v) ? 'a list' : JSON.stringify(v));

/**
 * Parses `clip_grad` (null/undefined: no clipping). As MMEngine, `type` defaults to 'norm'
 * and the object must hold the clipping function's arguments besides `type`.
 */
export function parseClipGrad(input: unknown): ClipGradConfig | null {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(['clip_grad'], `expected null or an object such as {max_norm: 35, norm_type: 2} or {type: 'value', clip_value: 1}, got ${describe(input)}`);
  }
  const cfg = input as Record<string, unknown>;
  const type = cfg.type ?? 'norm';
  if (type === 'norm') {
    const o = parseOptions(clipGradNormSchema, cfg, ['clip_grad']);
    return { type: 'norm', maxNorm: o.max_norm, normType: o.norm_type === 'inf' ? Infinity : o.norm_type, errorIfNonfinite: o.error_if_nonfinite };
  }
  if (type === 'value') {
    const o = parseOptions(clipGradValueSchema, cfg, ['clip_grad']);
    return { type: 'value', clipValue: o.clip_value };
  }
  throw new ConfigError(['clip_grad', 'type'], `expected "norm" | "value", got ${describe(type)}`);
}
