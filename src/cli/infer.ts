// `segkit infer CONFIG CHECKPOINT IMG...`: MMSeg's demo/image_demo.py — predict images and write their overlays.
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import * as torch from '../torch/index.js';
import { initModel, inferenceModel, showResult } from '../seg/apis/index.js';
import { loadRunConfig } from './load.js';

export interface InferCommandOptions {
  out: string;
  opacity?: number;
  withLabels?: boolean;
  device?: string;
  title?: string;
  cfgOptions?: string[];
}

/** Predicts each image and writes `<out>/<image name>` with the prediction drawn over it; returns the files written. */
export async function runInfer(configFile: string, checkpoint: string, images: string[], opts: InferCommandOptions): Promise<string[]> {
  const cfg = await loadRunConfig(configFile, { cfgOptions: opts.cfgOptions });
  const model = await initModel(cfg, checkpoint, opts.device);
  mkdirSync(opts.out, { recursive: true });
  const written: string[] = [];
  for (const img of images) {
    const result = await inferenceModel(model, img);
    try {
      const outFile = join(opts.out, basename(img));
      await showResult(model, img, result, {
        opacity: opts.opacity ?? 0.5, title: opts.title ?? 'result', withLabels: opts.withLabels ?? false, drawGt: false, outFile,
      });
      written.push(outFile);
    } finally {
      torch.dispose(result);
    }
  }
  return written;
}

export function registerInfer(program: Command): void {
  program
    .command('infer')
    .description('segment images with a trained checkpoint and write the predictions drawn over them (MMSeg\'s image_demo.py)')
    .argument('<config>', 'config file')
    .argument('<checkpoint>', 'segkit checkpoint (.ckpt)')
    .argument('<images...>', 'image files')
    .requiredOption('--out <dir>', 'folder for the drawn predictions (same file names as the images)')
    .option('--opacity <alpha>', 'opacity of the painted segmentation map, in (0, 1]', parseFloat, 0.5)
    .option('--with-labels', 'write class names on the drawing')
    .option('--device <device>', "'cpu', 'cuda' or 'cuda:N' (default: cuda when available)")
    .option('--title <name>', 'name of the drawing', 'result')
    .option('--cfg-options <key=value...>', 'override a config value (repeatable)')
    .action(async (file: string, checkpoint: string, images: string[], opts: InferCommandOptions) => {
      const written = await runInfer(file, checkpoint, images, opts);
      for (const f of written) console.log(relative(process.cwd(), resolve(f)));
    });
}
