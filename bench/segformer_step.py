# The PyTorch side of bench/segformer-step.ts: MMSeg's SegFormer MiT-b0 (MixVisionTransformer:
# overlapping patch embeddings, efficient multi-head attention with spatial reduction, MixFFN,
# DropPath) + SegformerHead written by hand in plain PyTorch; one AdamW step (MMEngine's one param
# group per parameter, paramwise_cfg norm decay_mult 0, head lr_mult 10) timed per iteration.
# argv: threads warmup steps batch size num_classes [profile]; prints JSON {"ms": [...]}
# ("profile" adds "parts": median forward / backward / optimizer ms, and "modules": forward ms per module kind).
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg_loss import decode_loss

threads, warmup, steps, batch, size, num_classes = (int(a) for a in sys.argv[1:7])
profile = len(sys.argv) > 7 and sys.argv[7] == 'profile'
torch.set_num_threads(threads)
torch.manual_seed(0)

EMBED, HEADS, LAYERS, PATCHES, STRIDES, SR = 32, [1, 2, 5, 8], [2, 2, 2, 2], [7, 3, 3, 3], [4, 2, 2, 2], [8, 4, 2, 1]
DROP_PATH = 0.1


def nlc_to_nchw(x, hw):
    b, _, c = x.shape
    return x.transpose(1, 2).reshape(b, c, hw[0], hw[1])


def nchw_to_nlc(x):
    return x.flatten(2).transpose(1, 2).contiguous()


class DropPath(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.p == 0 or not self.training:
            return x
        keep = 1 - self.p
        mask = (keep + torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype)).floor()
        return x.div(keep) * mask


class PatchEmbed(nn.Module):
    def __init__(self, cin, dims, k, stride):
        super().__init__()
        self.projection = nn.Conv2d(cin, dims, k, stride, k // 2)
        self.norm = nn.LayerNorm(dims, eps=1e-6)

    def forward(self, x):
        x = self.projection(x)
        hw = (x.shape[2], x.shape[3])
        return self.norm(x.flatten(2).transpose(1, 2)), hw


class EfficientMultiheadAttention(nn.Module):
    def __init__(self, dims, heads, sr, dpr):
        super().__init__()
        self.attn = nn.MultiheadAttention(dims, heads, bias=True)
        self.proj_drop = nn.Dropout(0.0)
        self.dropout_layer = DropPath(dpr)
        self.sr_ratio = sr
        if sr > 1:
            self.sr = nn.Conv2d(dims, dims, sr, sr)
            self.norm = nn.LayerNorm(dims, eps=1e-6)

    def forward(self, x, hw, identity):
        kv = x
        if self.sr_ratio > 1:
            kv = self.norm(nchw_to_nlc(self.sr(nlc_to_nchw(x, hw))))
        out = self.attn(query=x.transpose(0, 1), key=kv.transpose(0, 1), value=kv.transpose(0, 1))[0].transpose(0, 1)
        return identity + self.dropout_layer(self.proj_drop(out))


class MixFFN(nn.Module):
    def __init__(self, dims, hidden, dpr):
        super().__init__()
        drop = nn.Dropout(0.0)
        self.layers = nn.Sequential(nn.Conv2d(dims, hidden, 1), nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden), nn.GELU(), drop, nn.Conv2d(hidden, dims, 1), drop)
        self.dropout_layer = DropPath(dpr)

    def forward(self, x, hw, identity):
        return identity + self.dropout_layer(nchw_to_nlc(self.layers(nlc_to_nchw(x, hw))))


class EncoderLayer(nn.Module):
    def __init__(self, dims, heads, sr, dpr):
        super().__init__()
        self.norm1 = nn.LayerNorm(dims, eps=1e-6)
        self.attn = EfficientMultiheadAttention(dims, heads, sr, dpr)
        self.norm2 = nn.LayerNorm(dims, eps=1e-6)
        self.ffn = MixFFN(dims, 4 * dims, dpr)

    def forward(self, x, hw):
        x = self.attn(self.norm1(x), hw, x)
        return self.ffn(self.norm2(x), hw, x)


class MixVisionTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        dpr = [x.item() for x in torch.linspace(0, DROP_PATH, sum(LAYERS))]
        self.layers = nn.ModuleList()
        cin, cur = 3, 0
        for i, n in enumerate(LAYERS):
            dims = EMBED * HEADS[i]
            blocks = nn.ModuleList([EncoderLayer(dims, HEADS[i], SR[i], dpr[cur + j]) for j in range(n)])
            self.layers.append(nn.ModuleList([PatchEmbed(cin, dims, PATCHES[i], STRIDES[i]), blocks, nn.LayerNorm(dims, eps=1e-6)]))
            cin, cur = dims, cur + n

    def forward(self, x):
        outs = []
        for embed, blocks, norm in self.layers:
            x, hw = embed(x)
            for block in blocks:
                x = block(x, hw)
            x = nlc_to_nchw(norm(x), hw)
            outs.append(x)
        return outs


def conv_module(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SegformerHead(nn.Module):
    def __init__(self, in_channels, channels):
        super().__init__()
        self.convs = nn.ModuleList([conv_module(c, channels) for c in in_channels])
        self.fusion_conv = conv_module(channels * len(in_channels), channels)
        self.dropout = nn.Dropout2d(0.1)
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)

    def forward(self, inputs):
        size = inputs[0].shape[2:]
        outs = [F.interpolate(conv(x), size=size, mode='bilinear', align_corners=False) for conv, x in zip(self.convs, inputs)]
        return self.conv_seg(self.dropout(self.fusion_conv(torch.cat(outs, 1))))


class Segformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = MixVisionTransformer()
        self.decode_head = SegformerHead([32, 64, 160, 256], 256)

    def forward(self, x, y):
        return decode_loss(self.decode_head(self.backbone(x)), y)[0]


model = Segformer()
model.train()
# MMEngine's DefaultOptimWrapperConstructor: one group per parameter; custom_keys norm -> decay_mult 0, head -> lr_mult 10.
groups = []
for name, p in model.named_parameters():
    lr = 6e-5 * (10.0 if 'head' in name else 1.0)
    wd = 0.0 if 'norm' in name else 0.01
    groups.append({'params': [p], 'lr': lr, 'weight_decay': wd})
opt = torch.optim.AdamW(groups, lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01)
mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
raw = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)
y = torch.randint(0, num_classes, (batch, size, size))

module_ms = {}
if profile:
    def timed(kind, fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            r = fn(*a, **k)
            module_ms[kind] = module_ms.get(kind, 0.0) + (time.perf_counter() - t0) * 1000
            return r
        return wrapper
    for name, m in model.named_modules():
        if isinstance(m, (EfficientMultiheadAttention, MixFFN, PatchEmbed, nn.MultiheadAttention, nn.LayerNorm)) or name in ('backbone', 'decode_head', 'decode_head.fusion_conv'):
            m.forward = timed(name if name.startswith('decode') or name == 'backbone' else type(m).__name__, m.forward)

times, parts = [], []
for i in range(warmup + steps):
    module_ms.clear()
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    x = (raw.float() - mean) / std
    loss = model(x, y)
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    opt.step()
    loss.item()
    t3 = time.perf_counter()
    if i >= warmup:
        times.append((t3 - t0) * 1000)
        parts.append(((t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000))
result = {"ms": times, "loss": loss.item(), "params": sum(p.numel() for p in model.parameters())}
if profile:
    result["parts"] = {k: statistics.median(p[j] for p in parts) for j, k in enumerate(("forward", "backward", "optimizer"))}
    result["modules"] = module_ms
print(json.dumps(result))
