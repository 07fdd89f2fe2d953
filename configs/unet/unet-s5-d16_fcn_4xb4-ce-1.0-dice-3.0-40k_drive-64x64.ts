// MMSeg's unet-s5-d16_fcn_4xb4-ce-1.0-dice-3.0-40k_drive-64x64.py: the DRIVE recipe with
// cross entropy + 3 x Dice on the decode head.
import { defineConfig } from 'segkit/config';

export default defineConfig({
  _base_: ['./unet-s5-d16_fcn_4xb4-40k_drive-64x64.ts'],
  model: {
    decode_head: {
      loss_decode: [
        { type: 'CrossEntropyLoss', loss_name: 'loss_ce', loss_weight: 1.0 },
        { type: 'DiceLoss', loss_name: 'loss_dice', loss_weight: 3.0 },
      ],
    },
  },
});
