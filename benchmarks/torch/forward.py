"""Forward pass of the PyTorch port on weights and inputs exported from mtl-bench's TF.js model.

    /usr/bin/python3 benchmarks/torch/forward.py DIR

DIR/manifest.json: {"preset", "batch", "training", "params": [{name, kind, shape, offset}],
"x": offset} with float32 arrays in DIR/data.bin (x in TF.js's [B, bins, frames, channels]
layout), and targets {"shape", "anchor": offset, "ppi": [classes]}. Writes DIR/out.bin: the
ECG_shape [B, 200], PPI [B, 260] and Anchor [B, 800] outputs, then the three task losses, float32.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from radarode_mtl import build, load_tfjs_weights, task_losses  # noqa: E402


def main(d):
    torch.set_num_threads(1)
    with open(os.path.join(d, "manifest.json")) as f:
        m = json.load(f)
    blob = torch.from_file(os.path.join(d, "data.bin"), size=os.path.getsize(os.path.join(d, "data.bin")) // 4, dtype=torch.float32)
    model = build(m["preset"])
    load_tfjs_weights(model, m["params"], blob)
    c, h, w = model.input_shape
    b = m["batch"]
    x = blob[m["x"] : m["x"] + b * h * w * c].view(b, h, w, c).permute(0, 3, 1, 2).contiguous()
    tg = m["targets"]
    targets = (
        blob[tg["shape"] : tg["shape"] + b * 200].view(b, 200),
        torch.tensor(tg["ppi"], dtype=torch.long),
        blob[tg["anchor"] : tg["anchor"] + b * 800].view(b, 800),
    )
    model.train(m["training"])
    with torch.no_grad():
        outs = model(x)
        losses = task_losses(outs, targets)
    flat = torch.cat([o.reshape(-1) for o in outs] + [torch.stack(losses)])
    flat.numpy().astype("float32").tofile(os.path.join(d, "out.bin"))


if __name__ == "__main__":
    main(sys.argv[1])
