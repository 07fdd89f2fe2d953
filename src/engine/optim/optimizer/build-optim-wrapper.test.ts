// Tests for buildOptimWrapper: the seed's configs, every torch optimizer by name, constructors, OptimWrapperDict, key-path errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, tidy } from '../../../torch/index.js';
import { Linear, type Module } from '../../../torch/nn/index.js';
import { SGD, optimizers } from '../../../torch/optim/index.js';
import { ConfigError } from '../../config/errors.js';
import { OPTIMIZERS, OPTIM_WRAPPER_CONSTRUCTORS } from '../../registry/index.js';
import { AmpOptimWrapper, OptimWrapper, OptimWrapperDict } from '../optim-wrapper/index.js';
import { buildOptimWrapper, type OptimWrapperConstructor, type OptimWrapperConstructorOptions } from './index.js';
import { Holder } from './testing/reference-model.js';

const net = (): Holder => {
  manualSeed(1);
  const m = new Holder();
  m.registerModule('backbone', new Linear(4, 4));
  m.registerModule('head', new Linear(4, 2));
  return m;
};

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a ConfigError');
};

test("the seed's SGD config builds an OptimWrapper over all parameters", () => {
  const model = net();
  const w = buildOptimWrapper(model, {
    type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 0.0005 }, clip_grad: null,
  });
  assert.ok(w instanceof OptimWrapper && !(w instanceof AmpOptimWrapper));
  assert.ok(w.optimizer instanceof SGD);
  assert.deepEqual(w.getLr(), { lr: [0.01] });
  assert.equal(w.optimizer.paramGroups[0]!.weight_decay, 0.0005);
  assert.equal(w.optimizer.paramGroups[0]!.params.length, 4);
  // `type` defaults to OptimWrapper, and scoped names work.
  assert.ok(buildOptimWrapper(model, { optimizer: { type: 'mmengine.SGD', lr: 0.1 } }) instanceof OptimWrapper);
});

test('every torch optimizer is registered under its PyTorch name and builds from a config', () => {
  const names = Object.keys(optimizers);
  assert.deepEqual(names.filter((n) => !OPTIMIZERS.has(n)), []);
  assert.ok(names.length >= 11);
  for (const name of names) {
    const model = net();
    const w = buildOptimWrapper(model, { optimizer: { type: name, lr: 0.05 } }) as OptimWrapper;
    assert.equal(w.optimizer.name, name);
    assert.equal(w.getLr().lr[0], 0.05);
    const backbone = model.getSubmodule('backbone') as Linear;
    const before = backbone.weight.toArray();
    tidy(() => w.updateParams(backbone.forward(randn([2, 4])).square().sum()));
    assert.notDeepEqual(backbone.weight.toArray(), before, `${name} stepped`);
  }
});

test("the seed's AdamW + custom_keys ViT config and the AmpOptimWrapper config build", () => {
  const model = net();
  const vit = buildOptimWrapper(model, {
    type: 'OptimWrapper',
    optimizer: { type: 'AdamW', lr: 6e-5, betas: [0.9, 0.999], weight_decay: 0.01 },
    paramwise_cfg: { custom_keys: { pos_embed: { decay_mult: 0 }, cls_token: { decay_mult: 0 }, norm: { decay_mult: 0 } } },
  }, { logger: { info: () => {}, warning: () => {} } }) as OptimWrapper;
  assert.equal(vit.optimizer.paramGroups.length, 4);
  assert.deepEqual(vit.getLr().base_lr, [6e-5]);
  const amp = buildOptimWrapper(model, { type: 'AmpOptimWrapper', optimizer: { type: 'AdamW', lr: 1e-4, weight_decay: 0.05 }, loss_scale: 'dynamic' });
  assert.ok(amp instanceof AmpOptimWrapper);
});

test('logger and messageHub given to buildOptimWrapper reach the wrapper', () => {
  const logger = { info: () => {}, warning: () => {} };
  const messageHub = { updateScalar: () => {} };
  const w = buildOptimWrapper(net(), { optimizer: { type: 'SGD', lr: 0.1 } }, { logger, messageHub }) as OptimWrapper;
  assert.equal(w.logger, logger);
  assert.equal(w.messageHub, messageHub);
});

test('a built optimizer in the config is wrapped as is; a built wrapper is returned as is', () => {
  const model = net();
  const optimizer = new SGD(model.parameters(), { lr: 0.3 });
  const w = buildOptimWrapper(model, { optimizer, accumulative_counts: 2 }) as OptimWrapper;
  assert.equal(w.optimizer, optimizer);
  assert.equal(w.accumulativeCounts, 2);
  assert.equal(buildOptimWrapper(model, w), w);
});

/** A constructor for two optimizers, as MMEngine expects users to write for GAN-style models. */
class TwoPartConstructor implements OptimWrapperConstructor {
  constructor(readonly options: OptimWrapperConstructorOptions) {}
  build(model: Module): OptimWrapperDict {
    const out: Record<string, OptimWrapper> = {};
    for (const [name, cfg] of Object.entries(this.options.optim_wrapper_cfg)) {
      out[name] = buildOptimWrapper(model.getSubmodule(name), cfg, { keyPath: [name] }) as OptimWrapper;
    }
    return new OptimWrapperDict(out);
  }
}
OPTIM_WRAPPER_CONSTRUCTORS.register(TwoPartConstructor);

test('several named wrappers: a custom constructor returns an OptimWrapperDict; built wrappers make one directly', () => {
  const model = net();
  const dict = buildOptimWrapper(model, {
    constructor: 'TwoPartConstructor',
    backbone: { optimizer: { type: 'SGD', lr: 0.1 } },
    head: { type: 'AmpOptimWrapper', optimizer: { type: 'Adam', lr: 0.001 } },
  });
  assert.ok(dict instanceof OptimWrapperDict);
  assert.deepEqual(dict.getLr(), { 'backbone.lr': [0.1], 'head.lr': [0.001] });
  assert.ok(dict.get('head') instanceof AmpOptimWrapper);
  const a = dict.get('backbone');
  const direct = buildOptimWrapper(model, { backbone: a, head: dict.get('head') });
  assert.ok(direct instanceof OptimWrapperDict);
  assert.equal(direct.get('backbone'), a);
  assert.equal(errorOf(() => buildOptimWrapper(model, { backbone: a, head: { optimizer: undefined, type: 'SGD' } })),
    "optim_wrapper.head: expected a built OptimWrapper, got an object: an optim_wrapper with neither 'optimizer' nor 'constructor' must map names to built wrappers; "
    + 'to build several named optimizers from configs, set a constructor that returns an OptimWrapperDict (as MMEngine)');
  assert.equal(errorOf(() => buildOptimWrapper(model, {
    constructor: 'TwoPartConstructor', backbone: { optimizer: { type: 'SGD' } }, head: { optimizer: { type: 'SGD', lr: 1 } },
  })), "optim_wrapper.backbone.optimizer: SGD: parameter group didn't specify a value of required optimization parameter lr");
});

test('config errors carry the key path', () => {
  const model = net();
  const ow = (cfg: Record<string, unknown>): string => errorOf(() => buildOptimWrapper(model, cfg));
  assert.equal(ow({ optimizer: { type: 'SDG', lr: 0.1 } }), "optim_wrapper.optimizer.type: 'SDG' is not in the OPTIMIZERS registry; did you mean 'SGD', 'ASGD', 'Adam'?");
  assert.equal(ow({ optimizer: { type: 'SGD', lr: 0.1, momentun: 0.9 } }),
    'optim_wrapper.optimizer.momentun: unknown option for SGD (expected one of lr, momentum, dampening, weight_decay, nesterov, maximize, foreach, differentiable)');
  assert.equal(ow({ optimizer: { type: 'AdamW', lr: 0.1, betas: [0.9] } }), 'optim_wrapper.optimizer.betas: Too small: expected array to have >=2 items (got a list)');
  assert.equal(ow({ optimizer: { type: 'SGD', lr: -1 } }), 'optim_wrapper.optimizer: SGD: Invalid learning rate: -1');
  assert.equal(ow({ optimizer: { type: 'SGD', lr: 0.1 }, clip_grad: { max_norm: 'big' } }), 'optim_wrapper.clip_grad.max_norm: expected number, got "big"');
  assert.equal(ow({ optimizer: { type: 'SGD', lr: 0.1 }, accumulative_count: 2 }), "optim_wrapper: unknown key 'accumulative_count'");
  assert.equal(ow({ type: 'AmpOptimWrapper', optimizer: { type: 'SGD', lr: 0.1 }, dtype: 'float16' }),
    "optim_wrapper.dtype: 'float16' autocast needs a CUDA device, but the model's parameters are on cpu; use 'bfloat16' (or null, which picks bfloat16 on CPU)");
  assert.equal(ow({ type: 'OptimWraper', optimizer: { type: 'SGD', lr: 0.1 } }), "optim_wrapper.type: 'OptimWraper' is not in the OPTIM_WRAPPERS registry; did you mean 'OptimWrapper', 'AmpOptimWrapper'?");
  assert.equal(ow({ constructor: 'LayerDecay', optimizer: { type: 'SGD', lr: 0.1 } }), "optim_wrapper.constructor: 'LayerDecay' is not in the OPTIM_WRAPPER_CONSTRUCTORS registry");
  assert.equal(ow({ optimizer: { type: 'SGD', lr: 0.1 }, paramwise_cfg: { custom_keys: { head: { decay_mult: 0 } } } }),
    'optim_wrapper.paramwise_cfg.custom_keys.head.decay_mult: needs optimizer.weight_decay, which it multiplies');
  assert.equal(ow({ optimizer: 'SGD' }), 'optim_wrapper.optimizer: expected the optimizer config, e.g. {type: \'SGD\', lr: 0.01}, got "SGD"');
  assert.equal(errorOf(() => buildOptimWrapper(model, [], { keyPath: ['cfg', 'optim_wrapper'] })),
    "cfg.optim_wrapper: expected an object such as {type: 'OptimWrapper', optimizer: {type: 'SGD', lr: 0.01}}, got a list");
});
