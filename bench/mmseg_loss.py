# The decode-head loss of MMSeg's loss_by_feat, for the PyTorch side of the segmentor step
# benchmarks: logits resized to the label size, weighted cross entropy, and the acc_seg that
# MMSeg computes and logs at every training step (top-1 pixel accuracy over non-ignored pixels,
# without gradient), so both sides of a benchmark do the same work.
import torch
import torch.nn.functional as F


def decode_loss(seg_logits, label, loss_weight=1.0, ignore_index=255):
    logits = F.interpolate(seg_logits, size=label.shape[1:], mode='bilinear', align_corners=False)
    loss = loss_weight * F.cross_entropy(logits, label, ignore_index=ignore_index)
    with torch.no_grad():
        pred_label = logits.topk(1, dim=1)[1].transpose(0, 1)
        valid = label != ignore_index
        correct = pred_label.eq(label.unsqueeze(0)) & valid.unsqueeze(0)
        acc_seg = correct.float().sum() * (100.0 / valid.sum().item())
    return loss, acc_seg
