// Which backbone "layer" a parameter belongs to, for layer-wise lr decay (MMSeg's get_layer_id_for_* functions).

/** Parameters that sit before the first block: they get the deepest decay (id 0). */
const EMBEDDINGS = new Set(['backbone.cls_token', 'backbone.mask_token', 'backbone.pos_embed']);

function indexAt(name: string, position: number): number {
  const v = Number(name.split('.')[position]);
  if (!Number.isInteger(v)) throw new Error(`layer decay: expected a number at position ${position} of '${name}'`);
  return v;
}

/**
 * ConvNeXt, layer_wise: stem 0, stage 0 -> 1, stage 1 -> 2, stage 2 -> 3 + block // 3,
 * stage 3 -> maxLayerId; the downsampling layers go with the stage they feed; anything
 * outside the backbone -> maxLayerId + 1.
 */
export function getLayerIdForConvNeXt(name: string, maxLayerId: number): number {
  if (EMBEDDINGS.has(name)) return 0;
  if (name.startsWith('backbone.downsample_layers')) {
    const stage = indexAt(name, 2);
    const ids = [0, 2, 3, maxLayerId];
    if (stage >= ids.length) throw new Error(`layer decay: ConvNeXt has 4 stages, but '${name}' names stage ${stage}`);
    return ids[stage]!;
  }
  if (name.startsWith('backbone.stages')) {
    const stage = indexAt(name, 2);
    const block = indexAt(name, 3);
    if (stage === 0) return 1;
    if (stage === 1) return 2;
    if (stage === 2) return 3 + Math.floor(block / 3);
    if (stage === 3) return maxLayerId;
    throw new Error(`layer decay: ConvNeXt has 4 stages, but '${name}' names stage ${stage}`);
  }
  return maxLayerId + 1;
}

/** ConvNeXt, stage_wise: stem and downsampling 0, stage s -> s + 1, anything else maxStageId - 1. */
export function getStageIdForConvNeXt(name: string, maxStageId: number): number {
  if (EMBEDDINGS.has(name)) return 0;
  if (name.startsWith('backbone.downsample_layers')) return 0;
  if (name.startsWith('backbone.stages')) return indexAt(name, 2) + 1;
  return maxStageId - 1;
}

/** ViT-style backbones (BEiT, MAE): embeddings 0, block i -> i + 1, anything else maxLayerId - 1. */
export function getLayerIdForViT(name: string, maxLayerId: number): number {
  if (EMBEDDINGS.has(name)) return 0;
  if (name.startsWith('backbone.patch_embed')) return 0;
  if (name.startsWith('backbone.layers')) return indexAt(name, 2) + 1;
  return maxLayerId - 1;
}
