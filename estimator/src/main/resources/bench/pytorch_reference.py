#!/usr/bin/python3
"""PyTorch reference for `lipwatch bench ... --compare`.

The Java side writes the weights and inputs (.npy, float32) into a directory and then sends one JSON task per line
on stdin; this process answers each with one JSON line on stdout: {"name", "seconds", "values"}. It stays alive
between tasks so that lipwatch and PyTorch repeats can be interleaved (the machine's load drifts; interleaving keeps
the ratio fair). The algorithms mirror lipwatch's (probes.Attacks, ProbeRunner, SpectralNorm, AutoLip) step for step:
the same direction of ascent, the same projections, the same checked iterates; only the random starts differ.

Needs python3-torch and python3-numpy (Debian: apt-get install -y python3-torch python3-numpy).
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(d, name):
    return torch.from_numpy(np.load(os.path.join(d, name)))


class Model:
    """Stages of an MLP or CNN as lipwatch's DenseClassifier sees them: logits are the last weighted layer's output."""

    def __init__(self, d, spec):
        self.stages = []
        for s in spec["stages"]:
            st = dict(s)
            if s["kind"] in ("dense", "conv"):
                st["w"] = load(d, s["w"])
                st["b"] = load(d, s["b"]) if s.get("b") else None
            self.stages.append(st)
        self.input_shape = spec.get("input_shape")

    def logits(self, x):
        a = x
        if self.input_shape:
            a = a.reshape([a.shape[0]] + self.input_shape)
        for i, s in enumerate(self.stages):
            if s["kind"] == "dense":
                a = a.reshape(a.shape[0], -1)
                a = torch.addmm(s["b"], a, s["w"]) if s["b"] is not None else a @ s["w"]
            elif s["kind"] == "conv":
                a = F.conv2d(a, s["w"], s["b"], stride=s["stride"], padding=s["padding"])
            if s.get("act") == "relu" and i < len(self.stages) - 1:
                a = torch.relu(a)
        return a

    def params(self):
        return [s[k] for s in self.stages if s["kind"] in ("dense", "conv") for k in ("w", "b") if s.get(k) is not None]


def ascent_loss(z, y):
    """lipwatch's saturation-free direction: d/dz of logsumexp over the other classes − z_y is softmax(z without y)
    − onehot, the cross-entropy gradient divided by 1 − p_y (the same direction; never exactly 0 in float32)."""
    others = z.scatter(1, y[:, None], float("-inf"))
    return (torch.logsumexp(others, 1) - z.gather(1, y[:, None])[:, 0]).sum()


def step(model, x, y):
    x = x.detach().requires_grad_(True)
    z = model.logits(x)
    (g,) = torch.autograd.grad(ascent_loss(z, y), x)
    return z.detach(), g


def row_norm(v):
    return v.norm(dim=1)


def project(x, delta, eps, norm, lo, hi):
    if norm == "l2":
        dn = row_norm(delta)
        f = torch.where(dn > eps, eps / dn.clamp_min(1e-30), torch.ones_like(dn))
        delta = delta * f[:, None]
    else:
        delta = torch.maximum(torch.minimum(delta, eps[:, None]), -eps[:, None])
    x_adv = (x + delta).clamp_(lo, hi)
    return x_adv, x_adv - x


def ascend(delta, g, alpha, norm):
    if norm == "l2":
        gn = row_norm(g)
        f = torch.where(gn > 0, alpha / gn.clamp_min(1e-30), torch.zeros_like(gn))
        return delta + g * f[:, None]
    return delta + torch.sign(g) * alpha[:, None]


def random_start(n, d, eps, norm, gen):
    if norm == "linf":
        return (torch.rand(n, d, generator=gen) * 2 - 1) * eps[:, None]
    v = torch.randn(n, d, generator=gen)
    r = eps * torch.rand(n, generator=gen) ** (1.0 / d)
    return v * (r / row_norm(v).clamp_min(1e-30))[:, None]


def fgsm(model, x, y, norm, eps, lo, hi):
    z, g = step(model, x, y)
    fooled = z.argmax(1) != y
    e = torch.full((x.shape[0],), eps)
    delta = ascend(torch.zeros_like(x), torch.nan_to_num(g, 0.0, 0.0, 0.0), e, norm)
    x_adv, _ = project(x, delta, e, norm, lo, hi)
    with torch.no_grad():
        fooled |= model.logits(x_adv).argmax(1) != y
    return fooled


def pgd(model, x, y, norm, eps, alpha, steps, gen, lo, hi, track=False, init=None):
    """Returns fooled (bool per row) and, with track, the smallest fooling perturbation's norm and that perturbation."""
    n, d = x.shape
    fooled = torch.zeros(n, dtype=torch.bool)
    best_norm = torch.full((n,), math.inf)
    best = torch.zeros_like(x)
    delta = random_start(n, d, eps, norm, gen)
    if init is not None:
        use = row_norm(init) > 0
        delta = torch.where(use[:, None], init, delta)
    x_adv, delta = project(x, delta, eps, norm, lo, hi)

    def mark(z, delta):
        nonlocal best_norm, best
        wrong = z.argmax(1) != y
        fooled.logical_or_(wrong)
        if track:
            dn = row_norm(delta) if norm == "l2" else delta.abs().amax(1)
            better = wrong & (dn < best_norm)
            best_norm = torch.where(better, dn, best_norm)
            best = torch.where(better[:, None], delta, best)

    for t in range(steps + 1):
        if t == steps:
            with torch.no_grad():
                mark(model.logits(x_adv), delta)
            break
        z, g = step(model, x_adv, y)
        mark(z, delta)
        with torch.no_grad():
            delta = ascend(delta, torch.nan_to_num(g, 0.0, 0.0, 0.0), alpha, norm)
            x_adv, delta = project(x, delta, eps, norm, lo, hi)
    return fooled, best_norm, best


def suite(model, x, y, task, gen):
    """The probe suite of ProbeRunner.run: clean accuracy, double-precision margins, noise, attacks, minimal L2
    perturbation by bisection (warm starts from the smallest adversarial found so far)."""
    lo, hi = task["lo"], task["hi"]
    n = x.shape[0]
    out = {}
    with torch.no_grad():
        z = model.logits(x)
        correct = z.argmax(1) == y
        out["clean"] = correct.double().mean().item()
        # margins in double precision, as lipwatch certifies with them
        zd = model_double(model).logits(x.double())
        top2 = zd.topk(2, dim=1).values
        out["median_margin"] = (top2[:, 0] - top2[:, 1]).median().item()
        for s in task.get("noise", []):
            xn = (x + s * torch.randn(x.shape, generator=gen)).clamp_(lo, hi)
            out["noise %g" % s] = (model.logits(xn).argmax(1) == y).double().mean().item()
    for a in task.get("attacks", []):
        out[attack_name(a)] = attack(model, x, y, a, gen, correct)
    mp = task.get("min_perturbation")
    if mp:
        low = torch.zeros(n, dtype=torch.float64)
        up = torch.full((n,), math.inf, dtype=torch.float64)
        best = None
        for rnd in range(mp["bisection_steps"] + 1):
            active = correct & ((rnd == 0) | torch.isfinite(up))
            eps = torch.where(active, torch.full((n,), mp["max_eps"], dtype=torch.float64) if rnd == 0 else 0.5 * (low + up),
                              torch.zeros(n, dtype=torch.float64)).float()
            alpha = 2.5 * eps / mp["steps"]
            fooled, fnorm, bdelta = pgd(model, x, y, "l2", eps, alpha, mp["steps"], gen, lo, hi, True, best)
            take = fooled & (fnorm.double() < up)
            best = bdelta if best is None else torch.where(take[:, None], bdelta, best)
            on = eps > 0
            up = torch.where(on & fooled, torch.minimum(up, fnorm.double()), up)
            low = torch.where(on & ~fooled, torch.maximum(low, eps.double()), low)
        value = torch.where(correct, up, torch.zeros_like(up))
        out["median_min_l2"] = value.median().item() if n % 2 else value.sort().values[n // 2 - 1:n // 2 + 1].mean().item()
    return out


def model_double(model):
    m = Model.__new__(Model)
    m.input_shape = model.input_shape
    m.stages = [dict(s, w=s["w"].double(), b=None if s.get("b") is None else s["b"].double())
                if s["kind"] in ("dense", "conv") else s for s in model.stages]
    return m


def attack_name(a):
    return "%s %s %g" % (a["kind"], a["norm"], a["eps"]) + (" %d" % a["steps"] if a["kind"] == "pgd" else "")


def attack(model, x, y, a, gen, correct):
    n = x.shape[0]
    if a["kind"] == "fgsm":
        fooled = fgsm(model, x, y, a["norm"], a["eps"], a["lo"] if "lo" in a else 0.0, a.get("hi", 1.0))
    else:
        eps = torch.full((n,), a["eps"])
        alpha = torch.full((n,), a["alpha"])
        fooled, _, _ = pgd(model, x, y, a["norm"], eps, alpha, a["steps"], gen, a.get("lo", 0.0), a.get("hi", 1.0))
    return (correct & ~fooled).double().mean().item()


def power(ops, iters, gen):
    """100 power iterations per linear operator, on AᵀA; returns the estimates (lower bounds of σ_max)."""
    sig = []
    for op in ops:
        if op["kind"] == "dense":
            a = op["a"]
            v = torch.randn(a.shape[1], generator=gen, dtype=a.dtype)
            v /= v.norm()
            s = 0.0
            for _ in range(iters):
                u = a @ v
                s = max(s, u.norm().item())
                v = a.T @ u
                v /= v.norm()
        else:
            k, st, pad, shp = op["k"], op["stride"], op["padding"], op["in_shape"]
            v = torch.randn([1] + shp, generator=gen, dtype=k.dtype)
            v /= v.norm()
            s = 0.0
            outpad = None
            for _ in range(iters):
                u = F.conv2d(v, k, stride=st, padding=pad)
                s = max(s, u.norm().item())
                if outpad is None:
                    # the transpose must land on the input grid exactly
                    full = [(u.shape[2 + i] - 1) * st[i] - 2 * pad[i] + k.shape[2 + i] for i in range(2)]
                    outpad = [shp[1 + i] - full[i] for i in range(2)]
                v = F.conv_transpose2d(u, k, stride=st, padding=pad, output_padding=outpad)
                v /= v.norm()
        sig.append(s)
    return sig


def load_ops(d, spec):
    ops = []
    for o in spec:
        if o["kind"] == "dense":
            ops.append({"kind": "dense", "a": load(d, o["a"]).to(torch.float64 if o.get("double") else torch.float32)})
        else:
            ops.append(dict(o, k=load(d, o["k"]).to(torch.float64 if o.get("double") else torch.float32)))
    return ops


def train_epoch(d, task):
    """One epoch of the MLP with Adam and softmax cross-entropy on the given batches, from the given weights."""
    ws = [load(d, w).clone().requires_grad_(True) for w in task["w"]]
    bs = [load(d, b).clone().requires_grad_(True) for b in task["b"]]
    opt = torch.optim.Adam(ws + bs, lr=task["lr"], betas=(0.9, 0.999), eps=1e-8)
    x = load(d, task["x"])
    y = load(d, task["y"]).long()
    order = task["batches"]
    total = 0.0
    for (start, end) in order:
        xb, yb = x[start:end], y[start:end]
        a = xb
        for i in range(len(ws)):
            a = torch.addmm(bs[i], a, ws[i])
            if i < len(ws) - 1:
                a = torch.relu(a)
        loss = F.cross_entropy(a, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item() * (end - start)
    with torch.no_grad():
        xt, yt = load(d, task["test_x"]), load(d, task["test_y"]).long()
        a = xt
        for i in range(len(ws)):
            a = a @ ws[i] + bs[i]
            if i < len(ws) - 1:
                a = torch.relu(a)
        acc = (a.argmax(1) == yt).double().mean().item()
    return {"mean_loss": total / x.shape[0], "test_accuracy": acc}


def sgemm_peak(n=1024, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    torch.mm(a, b, out=c)
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best / 1e9


def run(task, d, cache):
    kind = task["kind"]
    gen = torch.Generator().manual_seed(task.get("seed", 42))
    if kind == "hello":
        torch.set_num_threads(task.get("threads", 2))
        return {"torch": torch.__version__, "threads": torch.get_num_threads(), "sgemm_gflops": sgemm_peak()}
    if kind in ("fgsm", "pgd", "suite"):
        key = task["model"]
        if key not in cache:
            spec = json.load(open(os.path.join(d, key)))
            cache[key] = (Model(d, spec), load(d, spec["x"]), load(d, spec["y"]).long())
        model, x, y = cache[key]
        if kind == "suite":
            return suite(model, x, y, task, gen)
        with torch.no_grad():
            correct = model.logits(x).argmax(1) == y
        return {"robust": attack(model, x, y, task, gen, correct)}
    if kind in ("power", "autolip"):
        key = task["ops"]
        if key not in cache:
            cache[key] = load_ops(d, json.load(open(os.path.join(d, key))))
        ops = cache[key]
        if kind == "power":
            return {"sigma": power(ops, task["iters"], gen)}
        # AutoLip on a ReLU MLP: product of exact spectral norms (ReLU is 1-Lipschitz)
        sig = [torch.linalg.matrix_norm(o["a"], ord=2).item() for o in ops]
        return {"sigma": sig, "bound": math.prod(sig)}
    if kind == "train":
        return train_epoch(d, task)
    raise ValueError("unknown task " + kind)


def main():
    d = sys.argv[1]
    cache = {}
    torch.set_num_threads(int(os.environ.get("LIPWATCH_TORCH_THREADS", "2")))
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        task = json.loads(line)
        try:
            t0 = time.perf_counter()
            values = run(task, d, cache)
            secs = time.perf_counter() - t0
            print(json.dumps({"name": task.get("name", task["kind"]), "seconds": secs, "values": values}), flush=True)
        except Exception as e:  # the Java side reports it and carries on without this row
            print(json.dumps({"name": task.get("name", task["kind"]), "error": repr(e)}), flush=True)


if __name__ == "__main__":
    main()
