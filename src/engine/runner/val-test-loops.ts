// MMEngine's ValLoop and TestLoop: predictions for every batch, fed to the evaluator.
import { z } from 'zod';
import { LOOPS } from '../registry/index.js';
import { parseOptions } from '../config/errors.js';
import type { Runner } from './runner.js';
import type { DataLoaderLike } from './data-source.js';
import type { Evaluator } from '../evaluator/index.js';
import type { MetricValues } from '../evaluator/metric.js';
import * as torch from '../../torch/index.js';

const loopSchema = z.object({
  fp16: z.boolean().default(false),
}).strict();

abstract class EvalLoop {
  readonly fp16: boolean;

  constructor(options: unknown, readonly runner: Runner, readonly dataloader: DataLoaderLike, readonly evaluator: Evaluator,
    private readonly mode: 'val' | 'test') {
    this.fp16 = parseOptions(loopSchema, options ?? {}).fp16;
    // As MMEngine's loops: the evaluator and the visualizer learn the classes and palette.
    const meta = dataloader.dataset?.metainfo;
    if (meta) {
      evaluator.datasetMeta = meta;
      runner.visualizer.datasetMeta = meta;
    }
  }

  async run(): Promise<MetricValues> {
    const runner = this.runner;
    const [Mode, mode] = this.mode === 'val' ? ['Val', 'val'] as const : ['Test', 'test'] as const;
    await runner.callHook(`before${Mode}`);
    await runner.callHook(`before${Mode}Epoch`);
    runner.model.eval();
    let idx = 0;
    for await (const data of this.dataloader) {
      await runner.callHook(`before${Mode}Iter`, idx, data);
      const outputs = this.predict(data);
      this.evaluator.process(outputs, data);
      await runner.callHook(`after${Mode}Iter`, idx, data, outputs);
      idx++;
      await torch.yieldToEventLoop();
      // Distributed: every rank evaluates its whole shard (ranks may hold different batch counts, and
      // the results are gathered), so a stop request waits for the train loop.
      if (runner.stopRequested && !runner.distributed) break;
    }
    const size = this.dataloader.dataset?.length ?? idx;
    const metrics = this.evaluator.evaluate(size);
    await runner.callHook(`after${Mode}Epoch`, metrics);
    await runner.callHook(`after${Mode}`);
    runner.lastMetrics[mode] = metrics;
    return metrics;
  }

  /** MMEngine's `fp16=True` runs inference under autocast (bfloat16 on CPU, float16 on CUDA). */
  private predict(data: Record<string, unknown>): unknown[] {
    const step = (): unknown[] => (this.mode === 'val' ? this.runner.model.valStep(data) : this.runner.model.testStep(data));
    if (!this.fp16) return step();
    const cuda = this.runner.device.startsWith('cuda');
    return torch.amp.autocast(step, { deviceType: cuda ? 'cuda' : 'cpu', dtype: cuda ? 'float16' : 'bfloat16' });
  }
}

export class ValLoop extends EvalLoop {
  constructor(options: unknown, runner: Runner, dataloader: DataLoaderLike, evaluator: Evaluator) {
    super(options, runner, dataloader, evaluator, 'val');
  }
}
LOOPS.register(ValLoop);

export class TestLoop extends EvalLoop {
  constructor(options: unknown, runner: Runner, dataloader: DataLoaderLike, evaluator: Evaluator) {
    super(options, runner, dataloader, evaluator, 'test');
  }
}
LOOPS.register(TestLoop);
