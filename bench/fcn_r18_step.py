# The PyTorch side of bench/fcn-r18-step.ts: MMSeg's fcn_r18-d8 (ResNetV1c-18, dilations 1,1,2,4,
# strides 1,2,1,1, contract_dilation; FCNHead + auxiliary FCNHead) written by hand in plain PyTorch,
# argv: threads warmup steps batch size num_classes [device]; one SGD training step (with MMSeg's acc_seg, bench/mmseg_loss.py) timed per iteration; prints JSON {"ms": [...]}.
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg_loss import decode_loss
from step_timing import time_train_steps

threads, warmup, steps, batch, size, num_classes = (int(a) for a in sys.argv[1:7])
device = sys.argv[7] if len(sys.argv) > 7 else 'cpu'
torch.set_num_threads(threads)
torch.manual_seed(0)


def cbr(cin, cout, k=3, stride=1, dilation=1):
    pad = dilation * (k // 2)
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad, dilation, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


def layer(cin, cout, stride, dilation):
    down = None
    if stride != 1 or cin != cout:
        down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    # contract_dilation: the first block of a dilated layer uses half the dilation.
    first = dilation // 2 if dilation > 1 else dilation
    return nn.Sequential(BasicBlock(cin, cout, stride, first, down), BasicBlock(cout, cout, 1, dilation, None))


class ResNetV1c18D8(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(cbr(3, 32, stride=2), cbr(32, 32), cbr(32, 64))
        self.layers = nn.ModuleList([layer(64, 64, 1, 1), layer(64, 128, 2, 1), layer(128, 256, 1, 2), layer(256, 512, 1, 4)])

    def forward(self, x):
        x = F.max_pool2d(self.stem(x), 3, 2, 1)
        outs = []
        for l in self.layers:
            x = l(x)
            outs.append(x)
        return outs


class FCNHead(nn.Module):
    def __init__(self, cin, ch, num_convs, concat_input):
        super().__init__()
        self.convs = nn.Sequential(*[cbr(cin if i == 0 else ch, ch) for i in range(num_convs)])
        self.conv_cat = cbr(cin + ch, ch) if concat_input else None
        self.dropout = nn.Dropout2d(0.1)
        self.conv_seg = nn.Conv2d(ch, num_classes, 1)

    def forward(self, x):
        out = self.convs(x)
        if self.conv_cat is not None:
            out = self.conv_cat(torch.cat([x, out], 1))
        return self.conv_seg(self.dropout(out))


class FCNR18(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = ResNetV1c18D8()
        self.decode_head = FCNHead(512, 128, 2, True)
        self.auxiliary_head = FCNHead(256, 64, 1, False)

    def forward(self, x, y):
        feats = self.backbone(x)
        loss, _ = decode_loss(self.decode_head(feats[3]), y, 1.0)
        aux_loss, _ = decode_loss(self.auxiliary_head(feats[2]), y, 0.4)
        return loss + aux_loss


model = FCNR18().to(device)
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
x = torch.randn(batch, 3, size, size, device=device)
y = torch.randint(0, num_classes, (batch, size, size), device=device)
time_train_steps(model, opt, lambda: model(x, y), warmup, steps)
