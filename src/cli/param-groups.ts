// `segkit param-groups CONFIG`: builds the model and optimizer wrapper from a config (no data)
// and shows, per parameter, its group and the settings it trains with, so users can check
// that paramwise_cfg / custom_keys / layer decay do what they meant.
import type { Command } from 'commander';
import { MODELS, ConfigError, buildOptimWrapper, OptimWrapper, OptimWrapperDict } from '../engine/index.js';
import * as torch from '../torch/index.js';
import { loadRunConfig } from './load.js';

export interface ParamRow {
  name: string;
  group_index: number;
  group_name?: string;
  lr: number;
  weight_decay: number;
  lr_scale?: number;
  shape: number[];
  [option: string]: unknown;
}

const SKIP = new Set(['params', 'lr', 'weight_decay', 'group_name', 'lr_scale', 'initial_lr']);

/** One row per trainable parameter, in the model's parameter order. */
export function paramRows(model: torch.nn.Module, wrapper: OptimWrapper): ParamRow[] {
  const groupOf = new Map<torch.Tensor, number>();
  wrapper.optimizer.paramGroups.forEach((g, i) => {
    for (const p of g.params) groupOf.set(p, i);
  });
  const rows: ParamRow[] = [];
  for (const [name, p] of model.namedParameters()) {
    const gi = groupOf.get(p);
    if (gi === undefined) continue;
    const g = wrapper.optimizer.paramGroups[gi]! as Record<string, unknown>;
    const row: ParamRow = { name, group_index: gi, lr: g.lr as number, weight_decay: (g.weight_decay as number) ?? 0, shape: p.shape };
    if (typeof g.group_name === 'string') row.group_name = g.group_name;
    if (typeof g.lr_scale === 'number') row.lr_scale = g.lr_scale;
    for (const [k, v] of Object.entries(g)) if (!SKIP.has(k) && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) row[k] = v;
    rows.push(row);
  }
  return rows;
}

export async function paramGroups(file: string, opts: { cfgOptions?: string[]; json?: boolean },
  print: (line: string) => void = console.log, warn: (line: string) => void = console.warn): Promise<ParamRow[]> {
  const cfg = await loadRunConfig(file, { cfgOptions: opts.cfgOptions, workDir: 'unused' });
  const dict = cfg.dict as Record<string, unknown>;
  let rows: ParamRow[];
  try {
    if (!dict.model || typeof dict.model !== 'object') throw new ConfigError(['model'], "expected a model config with a 'type'");
    if (!dict.optim_wrapper) throw new ConfigError(['optim_wrapper'], 'expected an optim_wrapper config');
    const modelCfg = { ...(dict.model as Record<string, unknown>) };
    if (dict.data_preprocessor !== undefined && modelCfg.data_preprocessor === undefined) modelCfg.data_preprocessor = dict.data_preprocessor;
    const model = MODELS.build<torch.nn.Module>(modelCfg, { keyPath: ['model'] });
    const wrapper = buildOptimWrapper(model, dict.optim_wrapper, { keyPath: ['optim_wrapper'], logger: { info: () => undefined, warning: warn } });
    if (wrapper instanceof OptimWrapperDict) throw new ConfigError(['optim_wrapper'], 'several optimizer wrappers: inspect one at a time (not supported yet)');
    rows = paramRows(model, wrapper as OptimWrapper);
  } catch (err) {
    throw err instanceof ConfigError ? cfg.locate(err) : err;
  }
  if (opts.json) {
    for (const r of rows) print(JSON.stringify(r));
    return rows;
  }
  // Summary: one line per group, then the parameter names in it.
  const byGroup = new Map<number, ParamRow[]>();
  for (const r of rows) byGroup.set(r.group_index, [...(byGroup.get(r.group_index) ?? []), r]);
  const fmt = (x: number): string => x.toExponential(4);
  print(`${rows.length} trainable parameters in ${byGroup.size} groups`);
  for (const [gi, members] of [...byGroup.entries()].sort((a, b) => a[0] - b[0])) {
    const r = members[0]!;
    const extra = r.lr_scale !== undefined ? `  lr_scale ${r.lr_scale.toFixed(6)}` : '';
    const count = members.reduce((n, m) => n + m.shape.reduce((a, b) => a * b, 1), 0);
    print(`group ${gi}${r.group_name ? ` (${r.group_name})` : ''}: lr ${fmt(r.lr)}  weight_decay ${r.weight_decay}${extra}  ${members.length} tensors, ${count} values`);
    const names = members.map((m) => m.name);
    print(`  ${names.length > 6 ? [...names.slice(0, 3), '...', ...names.slice(-2)].join(', ') : names.join(', ')}`);
  }
  return rows;
}

export function registerParamGroups(program: Command): void {
  program
    .command('param-groups')
    .description('show each parameter\'s optimizer group, lr and weight decay as the config builds them (no data needed)')
    .argument('<config>', 'config file')
    .option('--cfg-options <key=value...>', 'override a config value (repeatable)')
    .option('--json', 'one JSON object per parameter: name, group_index, group_name, lr, weight_decay, lr_scale, shape')
    .action(async (file: string, opts: { cfgOptions?: string[]; json?: boolean }) => {
      await paramGroups(file, opts);
    });
}
