# The Python side of bench/data-pipeline.ts: MMSeg's CamVid training pipeline written with cv2/numpy
# the way mmcv 2.x / MMSeg 1.x implement each transform, run by torch.utils.data.DataLoader with
# worker processes; prints JSON {"images_per_s": ..., "seconds": ..., "images": ...}.
# Also imported by bench/peak_rss.py for its CamVid samples (num_workers 0).
import io
import json
import os
import sys
import time

import cv2
import numpy as np
import torch
from numpy import random
from PIL import Image
from torch.utils.data import DataLoader, Dataset

# mmengine sets this in every process (env_cfg.mp_cfg.opencv_num_threads = 0): one thread per worker.
cv2.setNumThreads(0)

META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label')
# segkit's CamVidDataset label map: classes 0..10 stay, void (11) becomes ignore (255).
CAMVID_LABEL_MAP = {**{i: i for i in range(11)}, 11: 255}


def load_image(results):
    # mmcv LoadImageFromFile: bytes from the file backend, then imfrombytes(flag='color', backend='cv2').
    with open(results['img_path'], 'rb') as f:
        buf = f.read()
    img = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_COLOR)
    results['img'] = img
    results['img_shape'] = img.shape[:2]
    results['ori_shape'] = img.shape[:2]
    return results


def load_annotations(results):
    # MMSeg LoadAnnotations: imfrombytes(flag='unchanged', backend='pillow').squeeze().astype(uint8), then label_map.
    with open(results['seg_map_path'], 'rb') as f:
        buf = f.read()
    seg = np.array(Image.open(io.BytesIO(buf))).squeeze().astype(np.uint8)
    if results.get('label_map') is not None:
        copy = seg.copy()
        for old_id, new_id in results['label_map'].items():
            seg[copy == old_id] = new_id
    results['gt_seg_map'] = seg
    results['seg_fields'].append('gt_seg_map')
    return results


def rescale_size(w, h, scale):
    # mmcv.rescale_size with a (w, h) scale: long edge <= max, short edge <= min, rounded half up.
    factor = min(max(scale) / max(h, w), min(scale) / min(h, w))
    return int(w * factor + 0.5), int(h * factor + 0.5)


class RandomResize:
    # mmcv RandomResize(scale, ratio_range) -> Resize(keep_ratio=True): imrescale bilinear / nearest.
    def __init__(self, scale, ratio_range):
        self.scale, self.ratio_range = scale, ratio_range

    def __call__(self, results):
        lo, hi = self.ratio_range
        ratio = random.random_sample() * (hi - lo) + lo
        scale = int(self.scale[0] * ratio), int(self.scale[1] * ratio)
        img = results['img']
        h, w = img.shape[:2]
        size = rescale_size(w, h, scale)
        results['img'] = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
        nh, nw = results['img'].shape[:2]
        results['img_shape'] = (nh, nw)
        results['scale'] = scale
        results['scale_factor'] = (nw / w, nh / h)
        results['keep_ratio'] = True
        for key in results['seg_fields']:
            seg = results[key]
            results[key] = cv2.resize(seg, rescale_size(seg.shape[1], seg.shape[0], scale), interpolation=cv2.INTER_NEAREST)
        return results


class RandomCrop:
    # MMSeg RandomCrop: up to 10 redraws while one class holds >= cat_max_ratio of the crop (np.unique counts).
    def __init__(self, crop_size, cat_max_ratio=1.0, ignore_index=255):
        self.crop_size, self.cat_max_ratio, self.ignore_index = crop_size, cat_max_ratio, ignore_index

    def bbox(self, img):
        margin_h = max(img.shape[0] - self.crop_size[0], 0)
        margin_w = max(img.shape[1] - self.crop_size[1], 0)
        oh, ow = np.random.randint(0, margin_h + 1), np.random.randint(0, margin_w + 1)
        return oh, oh + self.crop_size[0], ow, ow + self.crop_size[1]

    @staticmethod
    def crop(img, box):
        y1, y2, x1, x2 = box
        return img[y1:y2, x1:x2, ...]

    def __call__(self, results):
        img = results['img']
        box = self.bbox(img)
        if self.cat_max_ratio < 1.0:
            for _ in range(10):
                labels, cnt = np.unique(self.crop(results['gt_seg_map'], box), return_counts=True)
                cnt = cnt[labels != self.ignore_index]
                if len(cnt) > 1 and np.max(cnt) / np.sum(cnt) < self.cat_max_ratio:
                    break
                box = self.bbox(img)
        results['img'] = self.crop(img, box)
        results['img_shape'] = results['img'].shape[:2]
        for key in results['seg_fields']:
            results[key] = self.crop(results[key], box)
        return results


def random_flip(results, prob=0.5):
    # mmcv RandomFlip: np.random.choice over [direction, None]; mmcv.imflip is np.flip (a view).
    direction = np.random.choice(['horizontal', None], p=[prob, 1 - prob])
    results['flip'] = direction is not None
    results['flip_direction'] = direction
    if direction is not None:
        results['img'] = np.flip(results['img'], axis=1)
        for key in results['seg_fields']:
            results[key] = np.flip(results[key], axis=1)
    return results


class PhotoMetricDistortion:
    # MMSeg PhotoMetricDistortion with its defaults, through mmcv.bgr2hsv / hsv2bgr (cv2.cvtColor).
    brightness_delta, contrast, saturation, hue_delta = 32, (0.5, 1.5), (0.5, 1.5), 18

    @staticmethod
    def convert(img, alpha=1, beta=0):
        img = img.astype(np.float32) * alpha + beta
        return np.clip(img, 0, 255).astype(np.uint8)

    def __call__(self, results):
        img = results['img']
        if random.randint(2):
            img = self.convert(img, beta=random.uniform(-self.brightness_delta, self.brightness_delta))
        mode = random.randint(2)
        if mode == 1 and random.randint(2):
            img = self.convert(img, alpha=random.uniform(*self.contrast))
        if random.randint(2):
            img = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
            img[:, :, 1] = self.convert(img[:, :, 1], alpha=random.uniform(*self.saturation))
            img = cv2.cvtColor(img, cv2.COLOR_HSV2BGR)
        if random.randint(2):
            img = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
            img[:, :, 0] = (img[:, :, 0].astype(int) + random.randint(-self.hue_delta, self.hue_delta)) % 180
            img = cv2.cvtColor(img, cv2.COLOR_HSV2BGR)
        if mode == 0 and random.randint(2):
            img = self.convert(img, alpha=random.uniform(*self.contrast))
        results['img'] = img
        return results


def pack_seg_inputs(results):
    # MMSeg PackSegInputs: CHW image tensor, gt_sem_seg as an int64 [1, H, W] tensor, metainfo (a dict
    # here instead of SegDataSample/PixelData, which need mmengine).
    img = results['img']
    if not img.flags.c_contiguous:
        img = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
    else:
        img = torch.from_numpy(img.transpose(2, 0, 1)).contiguous()
    seg = torch.from_numpy(results['gt_seg_map'][None, ...].astype(np.int64))
    meta = {k: results[k] for k in META_KEYS if k in results}
    return {'inputs': img, 'data_samples': {'metainfo': meta, 'gt_sem_seg': seg}}


class CamVidPipeline(Dataset):
    """CamVid `split`/`split`annot file pairs in sorted order through the full training pipeline."""

    def __init__(self, root, split='train', scale=(480, 360), ratio_range=(0.5, 2.0), crop_size=(160, 160), cat_max_ratio=0.75):
        names = sorted(n for n in os.listdir(os.path.join(root, split)) if n.endswith('.png'))
        self.items = [(os.path.join(root, split, n), os.path.join(root, split + 'annot', n)) for n in names]
        self.resize = RandomResize(scale, ratio_range)
        self.crop = RandomCrop(crop_size, cat_max_ratio)
        self.distort = PhotoMetricDistortion()

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        img_path, seg_path = self.items[i]
        results = {'img_path': img_path, 'seg_map_path': seg_path, 'label_map': CAMVID_LABEL_MAP, 'reduce_zero_label': False, 'seg_fields': []}
        results = load_annotations(load_image(results))
        results = random_flip(self.crop(self.resize(results)))
        return pack_seg_inputs(self.distort(results))


def pseudo_collate(batch):
    """mmengine's pseudo_collate for {inputs, data_samples}: lists per key."""
    return {k: [s[k] for s in batch] for k in batch[0]}


def worker_init(worker_id):
    # mmengine's worker_init_fn seeds numpy per worker (seed + worker_id).
    np.random.seed(worker_id)


def profile(a):
    """Mean ms per image of each transform in this process, over `samples` images after 5 untimed ones."""
    ds = CamVidPipeline(a['root'], a['split'], tuple(a['scale']), tuple(a['ratio_range']), tuple(a['crop_size']), a['cat_max_ratio'])
    steps = [('LoadImageFromFile', load_image), ('LoadAnnotations', load_annotations), ('RandomResize', ds.resize), ('RandomCrop', ds.crop),
             ('RandomFlip', random_flip), ('PhotoMetricDistortion', ds.distort), ('PackSegInputs', pack_seg_inputs)]
    totals = [0.0] * len(steps)
    for i in range(a['samples'] + 5):
        img_path, seg_path = ds.items[i % len(ds)]
        r = {'img_path': img_path, 'seg_map_path': seg_path, 'label_map': CAMVID_LABEL_MAP, 'reduce_zero_label': False, 'seg_fields': []}
        for k, (_, fn) in enumerate(steps):
            t0 = time.perf_counter()
            r = fn(r)
            if i >= 5:
                totals[k] += time.perf_counter() - t0
    print(json.dumps({name: 1000 * t / a['samples'] for (name, _), t in zip(steps, totals)}))


def main():
    a = json.loads(sys.argv[1])
    if a.get('profile'):
        return profile(a)
    torch.set_num_threads(a['threads'])
    ds = CamVidPipeline(a['root'], a['split'], tuple(a['scale']), tuple(a['ratio_range']), tuple(a['crop_size']), a['cat_max_ratio'])
    loader = DataLoader(ds, batch_size=a['batch_size'], num_workers=a['num_workers'], shuffle=False, collate_fn=pseudo_collate,
                        persistent_workers=a['num_workers'] > 0, worker_init_fn=worker_init)
    it = iter(loader)
    for _ in range(a['warmup']):
        next(it)
    t0 = time.perf_counter()
    images = 0
    for _ in range(a['batches']):
        images += len(next(it)['inputs'])
    seconds = time.perf_counter() - t0
    print(json.dumps({'images_per_s': images / seconds, 'seconds': seconds, 'images': images}))


if __name__ == '__main__':
    main()
