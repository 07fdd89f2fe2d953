# The PyTorch side of bench/amp-step.ts: MMSeg's UNet-S5-D16 + FCN head + auxiliary FCN head (the
# DRIVE model, 2 classes; BN after every conv, InterpConv upsampling) written by hand in plain
# PyTorch, one SGD training step timed per iteration in float32 or under CPU bfloat16 autocast
# (the forward pass and loss inside torch.autocast, backward and step outside, no loss scaling:
# bfloat16 has float32's range). Prints JSON {"ms": [...]}.
# Usage: amp_step.py THREADS WARMUP STEPS BATCH SIZE fp32|bf16
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg_loss import decode_loss
from step_timing import time_train_steps

threads, warmup, steps, batch, size = (int(a) for a in sys.argv[1:6])
mode = sys.argv[6]
if mode not in ('fp32', 'bf16'):
    sys.exit(f"amp_step.py: mode must be 'fp32' or 'bf16', got {mode!r}")
torch.set_num_threads(threads)
torch.manual_seed(0)
NUM_CLASSES = 2


def cbr(cin, cout, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, 1, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def basic_block(cin, cout):
    return nn.Sequential(cbr(cin, cout), cbr(cout, cout))


class UpConvBlock(nn.Module):
    # InterpConv: bilinear x2 then a 1x1 ConvModule to the skip's channels; then cat [skip, up] and 2 convs.
    def __init__(self, cin, skip, cout):
        super().__init__()
        self.up_conv = cbr(cin, skip, 1)
        self.conv_block = basic_block(2 * skip, cout)

    def forward(self, skip, x):
        up = self.up_conv(F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False))
        return self.conv_block(torch.cat([skip, up], 1))


class UNetS5D16(nn.Module):
    def __init__(self, base=64, stages=5):
        super().__init__()
        chans = [base * 2 ** i for i in range(stages)]
        self.encoder = nn.ModuleList([basic_block(3 if i == 0 else chans[i - 1], chans[i]) for i in range(stages)])
        self.decoder = nn.ModuleList([UpConvBlock(chans[i], chans[i - 1], chans[i - 1]) for i in range(1, stages)])

    def forward(self, x):
        enc = []
        for i, block in enumerate(self.encoder):
            x = block(F.max_pool2d(x, 2) if i > 0 else x)
            enc.append(x)
        outs = [x]
        for i in range(len(self.decoder) - 1, -1, -1):
            x = self.decoder[i](enc[i], x)
            outs.append(x)
        return outs


class FCNHead(nn.Module):
    def __init__(self, cin, ch):
        super().__init__()
        self.convs = cbr(cin, ch)
        self.dropout = nn.Dropout2d(0.1)
        self.conv_seg = nn.Conv2d(ch, NUM_CLASSES, 1)

    def forward(self, x):
        return self.conv_seg(self.dropout(self.convs(x)))


class UNetFCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = UNetS5D16()
        self.decode_head = FCNHead(64, 64)
        self.auxiliary_head = FCNHead(128, 64)

    def forward(self, x, y):
        feats = self.backbone(x)
        loss, _ = decode_loss(self.decode_head(feats[4]), y, 1.0)
        aux_loss, _ = decode_loss(self.auxiliary_head(feats[3]), y, 0.4)
        return loss + aux_loss


model = UNetFCN()
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
# The segmentor's data preprocessor (uint8 -> float, ImageNet mean/std) is part of segkit's step too.
raw = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)
mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
y = torch.randint(0, NUM_CLASSES, (batch, size, size))


def compute_loss():
    x = (raw.flip(1).float() - mean) / std
    if mode == 'bf16':
        with torch.autocast('cpu', dtype=torch.bfloat16):
            return model(x, y)
    return model(x, y)


time_train_steps(model, opt, compute_loss, warmup, steps)
