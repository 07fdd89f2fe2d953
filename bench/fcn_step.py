# The PyTorch side of bench/fcn-step.ts: the same small FCN training step in plain
# PyTorch (Debian's python3-torch), timed per step; prints JSON {"ms": [...]}.
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

threads, warmup, steps, batch, size = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)
torch.manual_seed(0)


def block(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallFCN(nn.Module):
    def __init__(self, num_classes=8):
        super().__init__()
        self.convs = nn.Sequential(block(3, 64, 2), block(64, 64, 2), block(64, 64, 1), block(64, 64, 1))
        self.cls = nn.Conv2d(64, num_classes, 1)

    def forward(self, x):
        return F.interpolate(self.cls(self.convs(x)), scale_factor=4, mode='bilinear', align_corners=False)


model = SmallFCN()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
x = torch.randn(batch, 3, size, size)
y = torch.randint(0, 8, (batch, size, size))
times = []
for i in range(warmup + steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    loss.item()
    if i >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": times, "loss": loss.item()}))
