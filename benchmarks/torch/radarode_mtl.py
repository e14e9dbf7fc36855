"""radarODE-MTL in PyTorch, at the same scales as mtl-bench's TF.js model.

A port of the reference network (shared DCN-ResNet encoder + squeeze module, ECG-shape, PPI and
anchor heads; the inactive ODE branch omitted, as mtl-bench does by default) with mtl-bench's
scaling rules: internal channel counts c become max(1, min(c, min_channels), round(c * width));
the ECG-shape head optionally ends with a learned bias per output sample (output_bias); the input channels, the
18 offset channels, the single output channel and the 260 PPI logits are fixed; the squeeze conv
spans the encoder's output height; the last layer of the ECG-shape and anchor heads is a Conv1d
with kernel L - T + 1, or, when the head's length L is shorter than T, a ConvTranspose1d with
kernel = stride = ceil(T / L) cropped to T by its padding and output_padding.

Module names follow mtl-bench's layer names (encoder.stage0.block.dcn, heads.PPI.prediction.0,
...), so a state_dict key is the TF.js parameter name. Layouts differ (PyTorch is channels-first).

    /usr/bin/python3 benchmarks/torch/radarode_mtl.py            # parameter counts per preset, JSON
"""
import json
import math
import sys

import torch
from torch import nn
import torch.nn.functional as F

PRESETS = {
    "paper": dict(channels=50, bins=71, frames=120, width=1.0),
    "small": dict(channels=50, bins=71, frames=120, width=1 / 8),
    "cpu": dict(channels=8, bins=24, frames=120, width=1 / 32, min_channels=8, output_bias=True),
    "ci": dict(channels=8, bins=16, frames=64, width=1 / 32, min_channels=8, output_bias=True),
}
OUT = {"ECG_shape": 200, "PPI": 260, "Anchor": 800}
TASKS = ("ECG_shape", "PPI", "Anchor")


def js_round(x):
    """JavaScript's Math.round (halves round up), as the TF.js model scales widths."""
    return math.floor(x + 0.5)


def conv_len(l, k, s, p):
    return (l + 2 * p - k) // s + 1


def convt_len(l, k, s, p, op):
    return (l - 1) * s - 2 * p + k + op


class DeformConv2d(nn.Module):
    """DCNv1 3x3, stride 1, padding 1, as the reference's dcnv2.py (modulation off): offsets from a
    3x3 conv (weight initialised to 0), bilinear sampling by gather from the zero-padded input
    (clamped coordinates, detached corner indices, weights not renormalised), then a stride-3 conv
    over the taps laid out as a 3H x 3W map. impl='torchvision' samples with torchvision's
    deform_conv2d instead (the same parameters)."""

    def __init__(self, cin, cout, impl="reference"):
        super().__init__()
        self.impl = impl
        self.weight = nn.Parameter(torch.empty(cout, cin, 3, 3))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.offset = nn.Conv2d(cin, 18, 3, 1, 1)
        nn.init.zeros_(self.offset.weight)
        self._grid = {}

    def base(self, h, w, device):
        key = (h, w)
        if key not in self._grid:
            r = torch.arange(1, h + 1, dtype=torch.float32).view(1, 1, h, 1)
            c = torch.arange(1, w + 1, dtype=torch.float32).view(1, 1, 1, w)
            tr = torch.tensor([-1, -1, -1, 0, 0, 0, 1, 1, 1], dtype=torch.float32).view(1, 9, 1, 1)
            tc = torch.tensor([-1, 0, 1, -1, 0, 1, -1, 0, 1], dtype=torch.float32).view(1, 9, 1, 1)
            self._grid[key] = torch.cat([(r + tr).expand(1, 9, h, w), (c + tc).expand(1, 9, h, w)], 1).to(device)
        return self._grid[key]

    def forward(self, x):
        b, c, h, w = x.shape
        off = self.offset(x)
        if self.impl == "conv":
            # Timing bound only: the 3x3 conv at the grid points, offsets computed and unused.
            return F.conv2d(x, self.weight, padding=1) + 0 * off.sum()
        if self.impl == "torchvision":
            # torchvision's fused kernel: (row, column) pairs per tap; zero outside the input
            # instead of the reference's clamping to the padded border (same arithmetic).
            from torchvision.ops import deform_conv2d

            return deform_conv2d(x, torch.stack([off[:, :9], off[:, 9:]], 2).reshape(b, 18, h, w), self.weight, padding=1)
        xp = F.pad(x, (1, 1, 1, 1))
        hp, wp = h + 2, w + 2
        p = (self.base(h, w, x.device) + off).permute(0, 2, 3, 1)  # b, h, w, 18
        q_lt = p.detach().floor()
        q_rb = q_lt + 1
        lim = lambda t: torch.cat([t[..., :9].clamp(0, hp - 1), t[..., 9:].clamp(0, wp - 1)], -1)
        q_lt = lim(q_lt).long()
        q_rb = lim(q_rb).long()
        q_lb = torch.cat([q_lt[..., :9], q_rb[..., 9:]], -1)
        q_rt = torch.cat([q_rb[..., :9], q_lt[..., 9:]], -1)
        p = lim(p)
        pr, pc = p[..., :9], p[..., 9:]

        def g(q, sr, sc):
            return (1 + sr * (q[..., :9].type_as(p) - pr)) * (1 + sc * (q[..., 9:].type_as(p) - pc))

        flat = xp.reshape(b, c, hp * wp)

        def gather(q):
            idx = (q[..., :9] * wp + q[..., 9:]).reshape(b, 1, -1).expand(-1, c, -1)
            return flat.gather(-1, idx).view(b, c, h, w, 9)

        xo = (
            g(q_lt, 1, 1).unsqueeze(1) * gather(q_lt)
            + g(q_rb, -1, -1).unsqueeze(1) * gather(q_rb)
            + g(q_lb, 1, -1).unsqueeze(1) * gather(q_lb)
            + g(q_rt, -1, 1).unsqueeze(1) * gather(q_rt)
        )
        # (b, c, h, w, 9) -> (b, c, 3h, 3w): pixel (3y + i, 3x + j) holds tap (i, j).
        xo = xo.view(b, c, h, w, 3, 3).permute(0, 1, 2, 4, 3, 5).reshape(b, c, 3 * h, 3 * w)
        return F.conv2d(xo, self.weight, stride=3)


class Squeeze(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.squeeze(self.dim)


class Residual(nn.Sequential):
    """x + body(x), the body's layers registered directly (encoder.stage0.block.dcn)."""

    def forward(self, x):
        return super().forward(x) + x


def seq(**named):
    s = nn.Sequential()
    for k, m in named.items():
        s.add_module(k, m)
    return s


def residual(**named):
    r = Residual()
    for k, m in named.items():
        r.add_module(k, m)
    return r


def last_layer(l, cin, target):
    """Conv1d(k = l - target + 1), or a ConvTranspose1d upsampling cropped to target when l < target."""
    if l >= target:
        return nn.Conv1d(cin, 1, l - target + 1)
    s = -(-target // l)
    e = l * s - target
    p = -(-e // 2)
    return nn.ConvTranspose1d(cin, 1, s, s, p, output_padding=2 * p - e)


class PositionBias(nn.Module):
    """A learned bias per output sample (zero at initialisation); parameter `bias`."""

    def __init__(self, n):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        return x + self.bias


class RadarOdeMtl(nn.Module):
    def __init__(self, channels, bins, frames, width, min_channels=1, output_bias=False, dcn="reference"):
        super().__init__()
        ch = lambda c: max(1, min(c, min_channels), js_round(c * width))
        self.input_shape = (channels, bins, frames)
        h, w = bins, frames
        enc = nn.Sequential()
        widths = [channels, ch(128), ch(256), ch(512)]
        expand = [ch(128), ch(256), ch(512), ch(1024)]
        down_k = [(3, 2), (3, 2), (3, 3), (3, 3)]
        down_s = [(2, 2), (2, 2), (2, 1), (2, 1)]
        for i in range(4):
            c, e = widths[i], expand[i]
            enc.add_module(
                f"stage{i}",
                seq(block=residual(dcn=DeformConv2d(c, c, dcn), bn=nn.BatchNorm2d(c), relu=nn.ReLU()), conv=nn.Conv2d(c, e, (2, 1), 1, (1, 0))),
            )
            h += 1
            enc.add_module(f"downsample{i}", seq(conv=nn.Conv2d(e, e, down_k[i], down_s[i], 1), bn=nn.BatchNorm2d(e), relu=nn.ReLU()))
            h = conv_len(h, down_k[i][0], down_s[i][0], 1)
            w = conv_len(w, down_k[i][1], down_s[i][1], 1)
        c4 = ch(1024)
        enc.add_module("squeeze", seq(conv=nn.Conv2d(c4, c4, (h, 1)), squeeze=Squeeze(2)))
        self.encoder = enc
        rep_len = w

        block = lambda conv, c: seq(conv=conv, bn=nn.BatchNorm1d(c), relu=nn.ReLU())
        # ECG_shape head: 3 ConvT1d blocks, 4 Conv1d blocks, 3 output convs.
        l = rep_len
        cs = [c4, ch(512), ch(256), ch(128)]
        shape_enc = nn.Sequential()
        for i in range(3):
            shape_enc.add_module(str(i), block(nn.ConvTranspose1d(cs[i], cs[i + 1], 5, 3, 0), cs[i + 1]))
            l = convt_len(l, 5, 3, 0, 0)
        cs = [ch(128), ch(64), ch(32), ch(16), ch(8)]
        ks, ss = [7, 7, 7, 5], [2, 2, 1, 1]
        shape_conv = nn.Sequential()
        for i in range(4):
            shape_conv.add_module(str(i), block(nn.Conv1d(cs[i], cs[i + 1], ks[i], ss[i], 1), cs[i + 1]))
            l = conv_len(l, ks[i], ss[i], 1)
        l = conv_len(conv_len(l, 7, 1, 1), 5, 1, 1)
        out_layers = {"0": nn.Conv1d(ch(8), ch(4), 7, 1, 1), "1": nn.Conv1d(ch(4), ch(2), 5, 1, 1), "2": last_layer(l, ch(2), OUT["ECG_shape"]), "squeeze": Squeeze(1)}
        if output_bias:
            out_layers["template"] = PositionBias(OUT["ECG_shape"])
        out_conv = seq(**out_layers)
        shape = seq(enc=shape_enc, conv=shape_conv, out_conv=out_conv)

        # PPI head.
        l = rep_len
        cs = [c4, ch(256), ch(128), ch(32), ch(16)]
        ks = [7, 7, 7, 6]
        ppi_conv = nn.Sequential()
        for i in range(4):
            ppi_conv.add_module(str(i), block(nn.Conv1d(cs[i], cs[i + 1], ks[i], 1, 1), cs[i + 1]))
            l = conv_len(l, ks[i], 1, 1)
        cs = [ch(16), ch(16), ch(32), ch(32)]
        ss, ops = [2, 2, 1], [1, 1, 0]
        ppi_t = nn.Sequential()
        for i in range(3):
            ppi_t.add_module(str(i), block(nn.ConvTranspose1d(cs[i], cs[i + 1], 5, ss[i], 2, output_padding=ops[i]), cs[i + 1]))
            l = convt_len(l, 5, ss[i], 2, ops[i])
        pred = seq(
            flatten=nn.Flatten(),
            **{"0": nn.Linear(l * cs[3], ch(1024)), "1": nn.BatchNorm1d(ch(1024)), "2": nn.ReLU()},
            **{"3": nn.Linear(ch(1024), ch(512)), "4": nn.BatchNorm1d(ch(512)), "5": nn.ReLU()},
            **{"6": nn.Linear(ch(512), OUT["PPI"])},
        )
        ppi = seq(conv=ppi_conv, transconv=ppi_t, prediction=pred)

        # Anchor head.
        l = rep_len
        cs = [c4, ch(512), ch(256), ch(128), ch(128)]
        ss = [3, 3, 3, 2]
        a_enc = nn.Sequential()
        for i in range(4):
            a_enc.add_module(str(i), block(nn.ConvTranspose1d(cs[i], cs[i + 1], 5, ss[i], 2), cs[i + 1]))
            l = convt_len(l, 5, ss[i], 2, 0)
        cs = [ch(128), ch(64), ch(32), ch(16)]
        ss = [2, 1, 1]
        a_conv = nn.Sequential()
        for i in range(3):
            a_conv.add_module(str(i), block(nn.Conv1d(cs[i], cs[i + 1], 5, ss[i], 2), cs[i + 1]))
            l = conv_len(l, 5, ss[i], 2)
        l = conv_len(conv_len(conv_len(l, 5, 1, 1), 5, 1, 0), 5, 1, 0)
        a_out = seq(
            **{"0": nn.Conv1d(ch(16), ch(8), 5, 1, 1), "1": nn.Conv1d(ch(8), ch(4), 5, 1, 0), "2": nn.Conv1d(ch(4), ch(2), 5, 1, 0)},
            **{"3": last_layer(l, ch(2), OUT["Anchor"]), "squeeze": Squeeze(1)},
        )
        anchor = seq(encoder=a_enc, conv=a_conv, out_conv=a_out)
        self.heads = nn.ModuleDict({"ECG_shape": shape, "PPI": ppi, "Anchor": anchor})

    def forward(self, x):
        rep = self.encoder(x)
        return [self.heads[t](rep) for t in TASKS]


DCN_IMPLS = ("reference", "torchvision", "conv")


def build(preset, dcn="reference"):
    """dcn: 'reference' (the gather-based dcnv2.py of the reference code) or 'torchvision'
    (torchvision.ops.deform_conv2d, a fused C++ kernel); 'conv' replaces the sampling by a plain
    3x3 conv (not the model: a bound on what any DCN implementation could cost)."""
    return RadarOdeMtl(**PRESETS[preset], dcn=dcn)


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def minmax(t):
    lo = t.min(1, keepdim=True).values
    rng = t.max(1, keepdim=True).values - lo
    return (t - lo) / torch.where(rng > 0, rng, torch.ones_like(rng))


def task_losses(outputs, targets):
    """mtl-bench's losses: MSE to the per-sample min-max normalised ECG cycle and anchor train,
    and cross-entropy of the PPI logits with the reference's soft target softmax(1000 * onehot)."""
    shape, ppi, anchor = outputs
    t_shape, t_ppi, t_anchor = targets
    q = torch.softmax(F.one_hot(t_ppi, OUT["PPI"]).float() * 1000.0, 1)
    return [
        F.mse_loss(shape, minmax(t_shape)),
        -(q * F.log_softmax(ppi, 1)).sum(1).mean(),
        F.mse_loss(anchor, minmax(t_anchor)),
    ]


# TF.js layouts (channels-last) to PyTorch's, by layer kind (mtl-bench's layers.ts).
_TO_TORCH = {
    "conv2d": (3, 2, 0, 1),  # [kh, kw, Cin, Cout] -> [Cout, Cin, kh, kw]
    "dcn": (3, 2, 0, 1),
    "conv1d": (2, 1, 0),  # [k, Cin, Cout] -> [Cout, Cin, k]
    "convT1d": (0, 2, 1),  # [Cin, k, Cout] -> [Cin, Cout, k]
    "linear": (1, 0),  # [in, out] -> [out, in]
}


def load_tfjs_weights(model, manifest, blob):
    """Copy mtl-bench's parameters into the model: manifest entries {name, kind, shape, offset}
    (offset in float32 elements of blob). Every parameter must be given exactly once."""
    params = dict(model.named_parameters())
    given = {e["name"] for e in manifest}
    if given != set(params):
        raise ValueError(f"parameter names differ: only TF.js {sorted(given - set(params))[:5]}, only PyTorch {sorted(set(params) - given)[:5]}")
    with torch.no_grad():
        for e in manifest:
            n = 1
            for d in e["shape"]:
                n *= d
            t = blob[e["offset"] : e["offset"] + n].view(*e["shape"])
            perm = _TO_TORCH.get(e["kind"])
            if perm and len(e["shape"]) == len(perm):
                t = t.permute(*perm)
            p = params[e["name"]]
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(f"{e['name']}: TF.js shape {e['shape']} gives {tuple(t.shape)}, PyTorch has {tuple(p.shape)}")
            p.copy_(t)


if __name__ == "__main__":
    names = sys.argv[1:] or list(PRESETS)
    print(json.dumps({n: param_count(build(n)) for n in names}))
