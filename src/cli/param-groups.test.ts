// Acceptance of issue 4: `segkit param-groups` on MMSeg's configs gives every parameter the
// same name, group, lr and weight_decay as MMSegmentation 1.2.2 / MMEngine 0.10.7 computed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { paramGroups, type ParamRow } from './param-groups.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REF = `${ROOT}../shared/reference/`;

interface RefRow { name: string; group_index: number; lr: number; weight_decay: number; shape: number[]; group_name?: string; lr_scale?: number }
const reference = (file: string): RefRow[] => (JSON.parse(readFileSync(REF + file, 'utf8')) as { params: RefRow[] }).params;

function compare(rows: ParamRow[], ref: RefRow[], keys: (keyof RefRow)[]): void {
  const ours = new Map(rows.map((r) => [r.name, r]));
  assert.equal(rows.length, ref.length, `parameter count: ${rows.length} vs reference ${ref.length}`);
  for (const r of ref) {
    const o = ours.get(r.name);
    assert.ok(o, `missing parameter ${r.name}`);
    assert.deepEqual(o.shape, r.shape, `${r.name}: shape`);
    for (const k of keys) {
      const a = o[k] as number | string;
      const b = r[k] as number | string;
      if (typeof b === 'number') assert.ok(Math.abs((a as number) - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${r.name}: ${String(k)} ${a} vs ${b}`);
      else assert.equal(a, b, `${r.name}: ${String(k)}`);
    }
  }
}

test('ConvNeXt-base UPerNet with stage-wise lr decay matches 2c_i_convnext_stage_wise.json (MMSeg quirk kept)', async () => {
  const lines: string[] = [];
  const rows = await paramGroups(`${ROOT}configs/convnext/convnext-base_upernet_8xb2-amp-160k_ade20k-512x512.ts`, {
    json: true,
    // The reference used MMSeg's no-decay name check (AmpOptimWrapper groups equal OptimWrapper's).
    cfgOptions: ['optim_wrapper.paramwise_cfg.mmseg_compat_no_decay_names=True'],
  }, (l) => lines.push(l), () => undefined);
  compare(rows, reference('2c_i_convnext_stage_wise.json'), ['lr', 'weight_decay', 'group_index', 'group_name', 'lr_scale']);
  assert.equal(lines.length, rows.length);
  assert.deepEqual(Object.keys(JSON.parse(lines[0]!)).slice(0, 4), ['name', 'group_index', 'lr', 'weight_decay']);
});

test("the seed's ViT custom_keys config matches 2b_vit_default_constructor_A.json (shrunken ViT as in its meta)", async () => {
  const warnings: string[] = [];
  const rows = await paramGroups(`${ROOT}configs/vit/vit_vit-b16-ln_mln_upernet_8xb2-160k_ade20k-512x512.ts`, {
    json: true,
    cfgOptions: [
      // The reference is MMSeg's vit_vit-b16_mln variant: the same model without the final norm.
      'model.backbone.final_norm=False',
      'model.backbone.img_size=[64,64]', 'model.backbone.embed_dims=64', 'model.backbone.num_layers=4', 'model.backbone.num_heads=4',
      'model.backbone.out_indices=[0,1,2,3]', 'model.neck.in_channels=[64,64,64,64]', 'model.neck.out_channels=64',
      'model.decode_head.in_channels=[64,64,64,64]', 'model.decode_head.channels=32', 'model.decode_head.num_classes=4',
      'model.auxiliary_head.in_channels=64', 'model.auxiliary_head.channels=16', 'model.auxiliary_head.num_classes=4',
    ],
  }, () => undefined, (w) => warnings.push(w));
  compare(rows, reference('2b_vit_default_constructor_A.json'), ['lr', 'weight_decay', 'group_index']);
});
