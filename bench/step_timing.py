# The timed loop of the PyTorch step benchmarks: zero_grad, loss, backward, optimizer step and a
# loss.item() sync per step; prints JSON {"ms": [per-step ms after warmup], "loss", "params"}.
import json
import time


def time_train_steps(model, opt, compute_loss, warmup, steps):
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = compute_loss()
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms": times, "loss": loss.item(), "params": sum(p.numel() for p in model.parameters())}))
