"""Time radarODE-MTL training steps in PyTorch on one CPU thread; prints one JSON line.

    /usr/bin/python3 benchmarks/torch/step.py PRESET BATCH [--warmup 2] [--steps 5] [--dcn reference|torchvision|conv]

A step is mtl-bench's EW step: forward in training mode, the three task losses read back, one
backward of their sum, SGD (momentum 0.937, weight decay 5e-4). The forward is the eval-mode
forward without gradients. Wall and process CPU times per call, in ms; peak memory is the
process's VmHWM at the end.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from radarode_mtl import DCN_IMPLS, OUT, build, param_count, task_losses  # noqa: E402


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def batch_of(model, batch, gen):
    c, h, w = model.input_shape
    x = torch.rand(batch, c, h, w, generator=gen)
    i = torch.arange(batch * 200, dtype=torch.float32)
    shape = torch.sin(i / 10).view(batch, 200)
    ppi = 150 + torch.randint(0, 60, (batch,), generator=gen)
    anchor = (torch.arange(batch * 800) % 160 == 0).float().view(batch, OUT["Anchor"])
    return x, (shape, ppi, anchor)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("preset")
    ap.add_argument("batch", type=int)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--dcn", choices=DCN_IMPLS, default="reference")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    model = build(a.preset, a.dcn)
    x, targets = batch_of(model, a.batch, torch.Generator().manual_seed(0))
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.937, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        losses = task_losses(model(x), targets)
        [float(l) for l in losses]
        sum(losses).backward()
        opt.step()

    def forward():
        with torch.no_grad():
            [o.sum().item() for o in model(x)]

    def timed(f, train):
        model.train(train)
        for _ in range(a.warmup):
            f()
        wall, cpu = [], []
        for _ in range(a.steps):
            t0, c0 = time.perf_counter(), time.process_time()
            f()
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
        return wall, cpu

    step_ms, step_cpu = timed(step, True)
    forward_ms, forward_cpu = timed(forward, False)
    print(json.dumps({
        "impl": "pytorch",
        "dcn": a.dcn,
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": param_count(model),
        "stepMs": step_ms,
        "forwardMs": forward_ms,
        "stepCpuMs": step_cpu,
        "forwardCpuMs": forward_cpu,
        "peakRssMb": peak_rss_mb(),
    }))


if __name__ == "__main__":
    main()
