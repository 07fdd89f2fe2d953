// MMSeg/mmcv data transforms; importing this registers them in TRANSFORMS.
export { LoadImageFromFile, loadImageFromFileSchema, type LoadImageFromFileOptions } from './load-image-from-file.js';
export { LoadImageFromNDArray } from './load-image-from-ndarray.js';
export { LoadAnnotations, loadAnnotationsSchema, labelLut, skippedLabelMaps, type LoadAnnotationsOptions } from './load-annotations.js';
export { Resize, resizeSchema, type ResizeOptions } from './resize.js';
export { RandomResize, randomResizeSchema, type RandomResizeOptions } from './random-resize.js';
export { RandomCrop, randomCropSchema, type RandomCropOptions } from './random-crop.js';
export { RandomFlip, randomFlipSchema, type RandomFlipOptions } from './random-flip.js';
export { RandomRotate, randomRotateSchema, type RandomRotateOptions } from './random-rotate.js';
export { PhotoMetricDistortion, photoMetricDistortionSchema, type PhotoMetricDistortionOptions } from './photo-metric-distortion.js';
export { Pad, padSchema, type PadOptions } from './pad.js';
export { Normalize, normalizeSchema, type NormalizeOptions } from './normalize.js';
export { PackSegInputs, packSegInputsSchema, DEFAULT_META_KEYS, type PackSegInputsOptions, type PackedSegInputs } from './pack-seg-inputs.js';
export { TestTimeAug, testTimeAugSchema, type TestTimeAugOptions } from './test-time-aug.js';
export { MultiScaleFlipAug, multiScaleFlipAugSchema, type MultiScaleFlipAugOptions } from './multi-scale-flip-aug.js';
export { decodeImage, decodeLabelMap, readBytes, type ColorType } from './image-io.js';
// Low-level pixel operations under mmcv's names (imresize, imflip, ...), exact to cv2 where noted.
export { resize as imresize, rescaleSize, scaleSize, type Interpolation } from './cv2-resize.js';
export { imrotate, warpAffine, rotationMatrix2D, type Affine, type RotateOptions } from './cv2-warp-affine.js';
export { bgrToHsv, hsvToBgr } from './cv2-color.js';
export {
  crop as imcrop, flip as imflip, padTo as impad, hwcToChw, isImage as isPixelImage,
  type FlipDirection, type Image as PixelImage, type PaddingMode, type PixelArray,
} from './ndarray-ops.js';
