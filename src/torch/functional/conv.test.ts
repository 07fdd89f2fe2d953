// conv2d / convTranspose2d / linear / unfold / fold against PyTorch: outputs and input, weight, bias gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, zeros } from '../index.js';
import * as F from './index.js';
import { type GradCase, runGradCases, assertCase } from './test-cases.js';

manualSeed(1);
const cases: GradCase[] = [
  {
    name: 'conv2d stride 1 padding 1 with bias',
    grad: { x: randn([2, 4, 9, 9]), w: randn([6, 4, 3, 3]), b: randn([6]) },
    js: ({ x, w, b }) => F.conv2d(x!, w!, b!, { padding: 1 }),
    py: 'F.conv2d(x, w, b, padding=1)',
  },
  {
    name: 'conv2d groups 2, dilation 2, stride [2, 1], padding [2, 1]',
    grad: { x: randn([2, 4, 9, 10]), w: randn([6, 2, 3, 3]), b: randn([6]) },
    js: ({ x, w, b }) => F.conv2d(x!, w!, b!, { groups: 2, dilation: 2, stride: [2, 1], padding: [2, 1] }),
    py: 'F.conv2d(x, w, b, stride=(2, 1), padding=(2, 1), dilation=2, groups=2)',
  },
  {
    name: 'conv2d depthwise stride 2 without bias',
    grad: { x: randn([2, 4, 8, 8]), w: randn([8, 1, 3, 3]) },
    js: ({ x, w }) => F.conv2d(x!, w!, null, { groups: 4, stride: 2, padding: 1 }),
    py: 'F.conv2d(x, w, None, stride=2, padding=1, groups=4)',
  },
  {
    name: "conv2d padding 'same' with dilation and an even kernel",
    grad: { x: randn([1, 3, 7, 8]), w: randn([5, 3, 4, 2]), b: randn([5]) },
    js: ({ x, w, b }) => F.conv2d(x!, w!, b!, { padding: 'same', dilation: [2, 1] }),
    py: "F.conv2d(x, w, b, padding='same', dilation=(2, 1))",
  },
  {
    name: "conv2d padding 'valid' on unbatched input",
    grad: { x: randn([3, 6, 6]), w: randn([2, 3, 3, 3]) },
    js: ({ x, w }) => F.conv2d(x!, w!, null, { padding: 'valid' }),
    py: "F.conv2d(x, w, padding='valid')",
  },
  {
    name: 'convTranspose2d stride 2, padding 1, outputPadding 1',
    grad: { x: randn([2, 4, 5, 5]), w: randn([4, 3, 3, 3]), b: randn([3]) },
    js: ({ x, w, b }) => F.convTranspose2d(x!, w!, b!, { stride: 2, padding: 1, outputPadding: 1 }),
    py: 'F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)',
  },
  {
    name: 'convTranspose2d groups 2, dilation 2, stride [2, 3]',
    grad: { x: randn([2, 4, 5, 4]), w: randn([4, 2, 3, 2]), b: randn([4]) },
    js: ({ x, w, b }) => F.convTranspose2d(x!, w!, b!, { groups: 2, dilation: 2, stride: [2, 3], padding: [1, 0] }),
    py: 'F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0), groups=2, dilation=2)',
  },
  {
    name: 'linear on 3-D input',
    grad: { x: randn([2, 3, 5]), w: randn([4, 5]), b: randn([4]) },
    js: ({ x, w, b }) => F.linear(x!, w!, b!),
    py: 'F.linear(x, w, b)',
  },
  {
    name: 'unfold kernel 3, padding 1, stride 2',
    grad: { x: randn([2, 3, 7, 6]) },
    js: ({ x }) => F.unfold(x!, 3, { padding: 1, stride: 2 }),
    py: 'F.unfold(x, 3, padding=1, stride=2)',
  },
  {
    name: 'fold back to 7x6',
    grad: { x: randn([2, 27, 12]) },
    js: ({ x }) => F.fold(x!, [7, 6], 3, { padding: 1, stride: 2 }),
    py: 'F.fold(x, (7, 6), 3, padding=1, stride=2)',
  },
];
const results = runGradCases(cases);

for (const r of results) {
  test(`${r.name} matches PyTorch (output and gradients)`, () => assertCase(r));
}

test('conv2d names the op and the channels on a channel mismatch', () => {
  const x = zeros([2, 4, 8, 8]);
  assert.throws(() => F.conv2d(x, zeros([8, 3, 3, 3])), /^RangeError: conv2d: input has 4 channels .* expects 3/);
  assert.throws(() => F.conv2d(x, zeros([6, 2, 3, 3]), null, { groups: 4 }), /conv2d: out_channels \(weight.size\(0\) = 6\) must be divisible by groups \(4\)/);
  assert.throws(() => F.conv2d(x, zeros([8, 4, 3, 3]), zeros([4])), /conv2d: bias must have shape \[8\]/);
  assert.throws(() => F.conv2d(zeros([8, 8]), zeros([8, 4, 3, 3])), /conv2d: input must be 4-D/);
  assert.throws(() => F.conv2d(x, zeros([8, 4, 3, 3]), null, { stride: [1, 2, 3] }), /conv2d: stride: expected an integer or 2 integers/);
  assert.throws(() => F.convTranspose2d(x, zeros([3, 4, 3, 3])), /convTranspose2d: input has 4 channels .* expects 3/);
  assert.throws(() => F.linear(zeros([2, 5]), zeros([3, 4])), /linear: input's last dimension is 5/);
});
