# The PyTorch side of bench/peak-rss.ts: the same narrow fcn_r18-d8 (ResNetV1c-18 d8 with base/stem
# channels scaled down, FCNHead + auxiliary FCNHead) trained on CamVid crops through the same
# pipeline (bench/data_pipeline.py, num_workers 0), SGD + PolyLR, in plain PyTorch. Prints JSON with
# VmHWM (the peak) and VmRSS (KiB) after `probe` iterations and at the end.
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from data_pipeline import CamVidPipeline, pseudo_collate

a = json.loads(sys.argv[1])
torch.set_num_threads(a['threads'])
torch.manual_seed(0)
np.random.seed(0)
NUM_CLASSES = 11


def cbr(cin, cout, k=3, stride=1, dilation=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, dilation * (k // 2), dilation, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, dilation, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


def layer(cin, cout, stride, dilation):
    down = None
    if stride != 1 or cin != cout:
        down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    first = dilation // 2 if dilation > 1 else dilation  # contract_dilation
    return nn.Sequential(BasicBlock(cin, cout, stride, first, down), BasicBlock(cout, cout, 1, dilation, None))


class FCNHead(nn.Module):
    def __init__(self, cin, ch, num_convs, concat_input):
        super().__init__()
        self.convs = nn.Sequential(*[cbr(cin if i == 0 else ch, ch) for i in range(num_convs)])
        self.conv_cat = cbr(cin + ch, ch) if concat_input else None
        self.dropout = nn.Dropout2d(0.1)
        self.conv_seg = nn.Conv2d(ch, NUM_CLASSES, 1)

    def forward(self, x):
        out = self.convs(x)
        if self.conv_cat is not None:
            out = self.conv_cat(torch.cat([x, out], 1))
        return self.conv_seg(self.dropout(out))


class NarrowFCNR18(nn.Module):
    def __init__(self, stem, base, head, aux_head):
        super().__init__()
        self.stem = nn.Sequential(cbr(3, stem // 2, stride=2), cbr(stem // 2, stem // 2), cbr(stem // 2, stem))
        widths = [base, 2 * base, 4 * base, 8 * base]
        self.layers = nn.ModuleList([layer(stem, widths[0], 1, 1), layer(widths[0], widths[1], 2, 1),
                                     layer(widths[1], widths[2], 1, 2), layer(widths[2], widths[3], 1, 4)])
        self.decode_head = FCNHead(widths[3], head, 2, True)
        self.auxiliary_head = FCNHead(widths[2], aux_head, 1, False)

    def forward(self, x, y):
        x = F.max_pool2d(self.stem(x), 3, 2, 1)
        feats = []
        for l in self.layers:
            x = l(x)
            feats.append(x)
        loss = 0
        for head, inp, w in ((self.decode_head, feats[3], 1.0), (self.auxiliary_head, feats[2], 0.4)):
            logits = F.interpolate(head(inp), size=y.shape[1:], mode='bilinear', align_corners=False)
            loss = loss + w * F.cross_entropy(logits, y, ignore_index=255)
        return loss


def status_kib(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return -1


MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


def preprocess(batch):
    # SegDataPreProcessor: BGR -> RGB, normalise, stack (crops are all crop_size here: no padding needed).
    x = (torch.stack(batch['inputs']).flip(1).float() - MEAN) / STD
    y = torch.cat([s['gt_sem_seg'] for s in batch['data_samples']])
    return x, y


def main():
    model = NarrowFCNR18(a['stem_channels'], a['base_channels'], a['head_channels'], a['aux_channels'])
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    ds = CamVidPipeline(a['root'], 'train', tuple(a['scale']), tuple(a['ratio_range']), tuple(a['crop_size']), 0.75)
    loader = DataLoader(ds, batch_size=a['batch_size'], shuffle=True, num_workers=0, collate_fn=pseudo_collate, drop_last=True)
    iters, probe = a['iters'], a['probe']
    out = {}
    t0 = time.perf_counter()
    it = 0
    while it < iters:
        for batch in loader:
            # MMSeg's PolyLR: (lr0 - eta_min) * (1 - it / iters) ** 0.9 + eta_min, set before each step.
            for g in opt.param_groups:
                g['lr'] = (0.01 - 1e-4) * (1 - it / iters) ** 0.9 + 1e-4
            x, y = preprocess(batch)
            opt.zero_grad(set_to_none=True)
            loss = model(x, y)
            loss.backward()
            opt.step()
            loss.item()
            it += 1
            if it == probe:
                out['probe'] = {'max_rss_kib': status_kib('VmHWM'), 'rss_kib': status_kib('VmRSS')}
            if it >= iters:
                break
    out['end'] = {'max_rss_kib': status_kib('VmHWM'), 'rss_kib': status_kib('VmRSS')}
    out['seconds'] = time.perf_counter() - t0
    out['iters'] = it
    out['loss'] = loss.item()
    print(json.dumps(out))


if __name__ == '__main__':
    main()
