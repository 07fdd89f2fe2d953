// The layer kinds paramwise_cfg rules single out: normalisation layers, depthwise and deformable convolutions.
import { Conv2d, GroupNorm, LayerNorm, NormBase, type Module } from '../../../torch/nn/index.js';

/** BatchNorm*, SyncBatchNorm, InstanceNorm* (all NormBase), GroupNorm and LayerNorm, and their subclasses (MMEngine's list). */
export const isNormLayer = (m: Module): boolean => m instanceof NormBase || m instanceof GroupNorm || m instanceof LayerNorm;

/** A Conv2d whose groups equal its input channels. */
export const isDepthwiseConv = (m: Module): boolean => m instanceof Conv2d && m.inChannels === m.groups;

const DEFORM_CONVS = new Set(['DeformConv2d', 'ModulatedDeformConv2d']);

/**
 * An mmcv-style deformable convolution (DeformConv2d, ModulatedDeformConv2d or a subclass
 * such as DeformConv2dPack), known by class name since such layers live above src/engine.
 */
export function isDeformConv(m: Module): boolean {
  for (let proto = Object.getPrototypeOf(m); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (DEFORM_CONVS.has((proto.constructor as { name: string }).name)) return true;
  }
  return false;
}
