// The Runner: holds what a run is made of (model, loops, optimizer wrapper, schedulers,
// hooks, logging) and drives train/val/test through the hooks. Building from a config
// lives in build.ts, checkpoints and resume in checkpoint.ts.
import * as torch from '../../torch/index.js';
import { Hook, HOOK_POINTS, type HookPoint } from '../hooks/hook.js';
import { priorityName } from '../hooks/priority.js';
import type { BaseModel } from '../model/base-model.js';
import type { MessageHub } from '../logging/message-hub.js';
import type { MMLogger } from '../logging/logger.js';
import type { LogProcessor, LogRunnerView } from '../logging/log-processor.js';
import type { Visualizer } from '../visualization/visualizer.js';
import type { MetricValues } from '../evaluator/metric.js';
import type { BaseTrainLoop } from './train-loops.js';
import type { ValLoop, TestLoop } from './val-test-loops.js';
import type { DataLoaderLike } from './data-source.js';
import type { Launcher } from './dist-env.js';
import type { TrainStepModel } from '../model/wrappers/distributed.js';

/** What the Runner needs from an optimizer wrapper (src/engine/optim/optim-wrapper). */
export interface RunnerOptimWrapper {
  optimContext<T>(model: torch.nn.Module, fn: () => T): T;
  updateParams(loss: torch.Tensor): void;
  readonly paramGroups: Record<string, unknown>[];
  getLr(): Record<string, number[]>;
  getMomentum(): Record<string, number[]>;
  stateDict(): Record<string, unknown>;
  loadStateDict(state: Record<string, unknown>): void;
  initializeCountStatus?(model: torch.nn.Module, initCounts: number, maxCounts: number): void;
  messageHub?: { updateScalar(key: string, value: number): void };
}

/** What the Runner needs from a parameter scheduler (src/engine/optim/scheduler). */
export interface RunnerParamScheduler {
  readonly byEpoch: boolean;
  /** ReduceOnPlateau-style schedulers step with the validation metrics. */
  readonly needValArgs?: boolean;
  step(metrics?: Record<string, unknown>): void;
  stateDict(): Record<string, unknown>;
  loadStateDict(state: Record<string, unknown>): void;
}

type HookArgs = unknown[];

export interface RunnerParts {
  cfg: Record<string, unknown>;
  model: BaseModel;
  workDir: string;
  logDir: string;
  timestamp: string;
  expName: string;
  logger: MMLogger;
  messageHub: MessageHub;
  visualizer: Visualizer;
  logProcessor: LogProcessor;
  seed: number;
  device: string;
  /** How the processes were started ('none': one process); rank and world size of this process. */
  launcher?: Launcher;
  rank?: number;
  worldSize?: number;
}

export class Runner implements LogRunnerView {
  readonly cfg: Record<string, unknown>;
  readonly model: BaseModel;
  readonly workDir: string;
  readonly logDir: string;
  readonly timestamp: string;
  readonly expName: string;
  readonly logger: MMLogger;
  readonly messageHub: MessageHub;
  readonly visualizer: Visualizer;
  readonly logProcessor: LogProcessor;
  readonly seed: number;
  readonly device: string;
  readonly launcher: Launcher;
  readonly rank: number;
  readonly worldSize: number;

  /**
   * The distributed wrapper (MMDistributedDataParallel) that train steps go through; null in one
   * process. `model` stays the bare model: checkpoints, optimizer, EMA and val/test use it (as
   * MMEngine unwraps `runner.model.module`).
   */
  wrappedModel: (TrainStepModel & { release?(): void }) | null = null;
  optimWrapper: RunnerOptimWrapper | null = null;
  paramSchedulers: RunnerParamScheduler[] = [];
  trainLoop: BaseTrainLoop | null = null;
  valLoop: ValLoop | null = null;
  testLoop: TestLoop | null = null;
  /** Latest metrics of each evaluation mode (e.g. for the CLI's summary). */
  readonly lastMetrics: { val?: MetricValues; test?: MetricValues } = {};
  /** Set by SIGINT/SIGTERM: loops finish the current iteration, then the run saves and stops. */
  stopRequested = false;
  /**
   * The train loader's saved position from a resumed checkpoint, applied by the train loop
   * after beforeTrainEpoch hooks (DistSamplerSeedHook's setEpoch would otherwise reset it).
   */
  pendingLoaderState: unknown = undefined;

  readonly #hooks: Hook[] = [];

  constructor(parts: RunnerParts) {
    this.cfg = parts.cfg;
    this.model = parts.model;
    this.workDir = parts.workDir;
    this.logDir = parts.logDir;
    this.timestamp = parts.timestamp;
    this.expName = parts.expName;
    this.logger = parts.logger;
    this.messageHub = parts.messageHub;
    this.visualizer = parts.visualizer;
    this.logProcessor = parts.logProcessor;
    this.seed = parts.seed;
    this.device = parts.device;
    this.launcher = parts.launcher ?? 'none';
    this.rank = parts.rank ?? 0;
    this.worldSize = parts.worldSize ?? 1;
  }

  /** Whether this run spans several processes. */
  get distributed(): boolean {
    return this.launcher !== 'none';
  }

  /** What a train iteration calls trainStep on: the distributed wrapper, else the model. */
  get trainModel(): TrainStepModel {
    return this.wrappedModel ?? this.model;
  }

  // ---- progress (LogRunnerView) ----------------------------------------------------
  get iter(): number {
    return this.trainLoop?.iter ?? 0;
  }
  get epoch(): number {
    return this.trainLoop?.epoch ?? 0;
  }
  get maxIters(): number {
    return this.trainLoop?.maxIters ?? 0;
  }
  get maxEpochs(): number {
    return this.trainLoop?.maxEpochs ?? 0;
  }
  get trainLoopBuilt(): boolean {
    return this.trainLoop !== null;
  }
  get trainDataloader(): DataLoaderLike | null {
    return this.trainLoop?.dataloader ?? null;
  }
  get valDataloader(): DataLoaderLike | null {
    return this.valLoop?.dataloader ?? null;
  }
  get testDataloader(): DataLoaderLike | null {
    return this.testLoop?.dataloader ?? null;
  }
  dataloaderLength(mode: 'train' | 'val' | 'test'): number {
    const loader = mode === 'train' ? this.trainDataloader : mode === 'val' ? this.valDataloader : this.testDataloader;
    return loader?.length ?? 0;
  }
  /** MMEngine shows CUDA peak memory; on CPU segkit shows the process's resident memory. */
  maxMemoryMB(): number {
    return Math.round(process.memoryUsage.rss() / 2 ** 20);
  }

  // ---- running -------------------------------------------------------------------------
  /** Trains (building the train loop, optimizer wrapper, schedulers and val loop first). */
  async train(): Promise<BaseModel> {
    const { trainRun } = await import('./run.js');
    await trainRun(this);
    return this.model;
  }
  async val(): Promise<MetricValues> {
    const { valRun } = await import('./run.js');
    return valRun(this);
  }
  async test(): Promise<MetricValues> {
    const { testRun } = await import('./run.js');
    return testRun(this);
  }

  // ---- hooks ---------------------------------------------------------------------------
  get hooks(): readonly Hook[] {
    return this.#hooks;
  }

  /** Inserts a hook after every hook of the same or a higher priority (ties keep registration order). */
  registerHook(hook: Hook, priority?: number): void {
    if (priority !== undefined) hook.priority = priority;
    let at = this.#hooks.length;
    while (at > 0 && this.#hooks[at - 1]!.priority > hook.priority) at--;
    this.#hooks.splice(at, 0, hook);
  }

  /** Calls `point` on every hook in priority order, awaiting each. */
  async callHook(point: HookPoint, ...args: HookArgs): Promise<void> {
    for (const hook of this.#hooks) {
      const fn = (hook as unknown as Record<string, (...a: unknown[]) => unknown>)[point]!;
      const r = fn.call(hook, this, ...args);
      if (r instanceof Promise) await r;
    }
  }

  /** Synchronous hook points (afterBackward, beforeOptimizerStep): async results are refused. */
  callHookSync(point: 'afterBackward' | 'beforeOptimizerStep', batchIdx: number): void {
    for (const hook of this.#hooks) {
      const r = hook[point](this, batchIdx) as unknown;
      if (r instanceof Promise) throw new Error(`${hook.name}.${point} must be synchronous (it runs inside the optimizer update)`);
    }
  }

  /** Per hook point, the hooks in call order with priorities (MMEngine's get_hooks_info). */
  hooksInfo(): { stage: string; hooks: { name: string; priority: string }[] }[] {
    const snake = (p: string): string => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const out: { stage: string; hooks: { name: string; priority: string }[] }[] = [];
    for (const point of HOOK_POINTS) {
      const hooks = this.#hooks.filter((h) => h.triggeredStages().includes(point))
        .map((h) => ({ name: h.name, priority: priorityName(h.priority) }));
      if (hooks.length) out.push({ stage: snake(point), hooks });
    }
    return out;
  }

  hooksInfoText(): string {
    return this.hooksInfo().map(({ stage, hooks }) =>
      `${stage}:\n${hooks.map((h) => `(${h.priority.padEnd(12)}) ${h.name}`).join('\n')}`).join('\n' + '-'.repeat(20) + '\n');
  }
}
