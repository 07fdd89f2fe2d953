// MMSeg's tta_pipeline (used by `segkit test --tta`), which its dataset configs each spell out:
// the image at each ratio of its original size, unflipped and flipped; labels load after
// resizing, so they stay at the original size.
export const img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75];

export const ttaPipeline = (ratios: number[] = img_ratios) => [
  { type: 'LoadImageFromFile', backend_args: null },
  {
    type: 'TestTimeAug',
    transforms: [
      ratios.map((r) => ({ type: 'Resize', scale_factor: r, keep_ratio: true })),
      [{ type: 'RandomFlip', prob: 0.0, direction: 'horizontal' }, { type: 'RandomFlip', prob: 1.0, direction: 'horizontal' }],
      [{ type: 'LoadAnnotations' }],
      [{ type: 'PackSegInputs' }],
    ],
  },
];
