// BaseTTAModel: per-augmentation batches go to module.testStep, predictions regroup per sample for mergePreds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import { MODELS } from '../registry/index.js';
import { BaseModel, type BaseDataPreprocessor, type DataBatch } from './base-model.js';
import { BaseTTAModel, splitAugmentations } from './base-tta-model.js';
import './data-preprocessor.js';

/** Predicts `${input}@${batch size}` per input and counts its calls. */
class EchoModel extends BaseModel {
  readonly dataPreprocessor = this.registerModule('data_preprocessor', MODELS.build<BaseDataPreprocessor>({ type: 'BaseDataPreprocessor' }));
  readonly scale = this.registerParameter('scale', torch.ones([1]));
  calls = 0;
  constructor(_options: Record<string, unknown> = {}) {
    super();
  }
  override forward(): unknown {
    throw new Error('not used');
  }
  override testStep(data: DataBatch): unknown[] {
    this.calls++;
    return (data.inputs as string[]).map((x) => `${x}@${(data.inputs as string[]).length}`);
  }
}
MODELS.register(EchoModel);

/** Joins each sample's predictions. */
class JoinTTAModel extends BaseTTAModel {
  override mergePreds(list: unknown[][]): unknown[] {
    return list.map((preds) => preds.join('+'));
  }
}
MODELS.register(JoinTTAModel);

test('testStep runs one batch per augmentation and merges per sample', () => {
  const tta = MODELS.build<JoinTTAModel>({ type: 'JoinTTAModel', module: { type: 'EchoModel' } });
  const data = { inputs: [['img1_aug1', 'img2_aug1'], ['img1_aug2', 'img2_aug2'], ['img1_aug3', 'img2_aug3']], data_samples: [[1, 2], [3, 4], [5, 6]] };
  assert.deepEqual(tta.testStep(data), ['img1_aug1@2+img1_aug2@2+img1_aug3@2', 'img2_aug1@2+img2_aug2@2+img2_aug3@2']);
  assert.equal((tta.module as unknown as EchoModel).calls, 3);
  assert.deepEqual(tta.valStep(data), tta.testStep(data));
  assert.deepEqual(splitAugmentations([['a1', 'a2'], ['s1', 's2']]), [['a1', 's1'], ['a2', 's2']], 'list batches split per position');
});

test('the module is built from a config or taken as given; its weights load under their own names', () => {
  const echo = new EchoModel();
  const tta = new JoinTTAModel({ module: echo });
  assert.equal(tta.module, echo);
  assert.deepEqual([...tta.stateDict().keys()], ['module.scale']);
  const r = tta.loadStateDict(new Map([['scale', torch.full([1], 3)]]));
  assert.deepEqual([r.missingKeys, r.unexpectedKeys], [[], []]);
  assert.equal(echo.scale.item(), 3);
});

test('errors: a module without testStep, a batch that is not per augmentation, BaseTTAModel without mergePreds', () => {
  assert.throws(() => new JoinTTAModel({ module: new torch.nn.Linear(1, 1) }), /JoinTTAModel: module: the wrapped model \(Linear\) must implement testStep/);
  assert.throws(() => MODELS.build({ type: 'JoinTTAModel' }, { keyPath: ['model'] }), /model\.module/);
  const tta = new JoinTTAModel({ module: { type: 'EchoModel' } });
  assert.throws(() => tta.testStep({ inputs: 'x' }), /JoinTTAModel\.testStep: data\.inputs must be a list with one entry per augmentation/);
  assert.throws(() => tta.testStep({ inputs: [['a'], ['b']], data_samples: [[1]] }), /data\.data_samples must list 2 augmentations \(as data\.inputs\), got a list of 1/);
  const base = MODELS.build<BaseTTAModel>({ type: 'BaseTTAModel', module: { type: 'EchoModel' } });
  assert.throws(() => base.testStep({ inputs: [['a']] }), /BaseTTAModel\.mergePreds: BaseTTAModel leaves merging to a subclass/);
  assert.throws(() => base.forward(torch.zeros([1]), undefined, 'predict'), /call testStep instead/);
});
