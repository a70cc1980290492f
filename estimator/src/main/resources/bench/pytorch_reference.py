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
    perturbation by bisection (warm starts from the smallest adversarial found so far). As lipwatch's AttackPhase, each
    attack runs only on the samples still standing at its norm and ε (correct, and not broken by an earlier attack of
    that norm and ε), so its figure is the accuracy under the attacks so far at that norm and ε (AutoAttack's
    ensemble figure); the bisection runs only on the rows still searched (MinPerturbationPhase)."""
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
    standing = {}
    for a in task.get("attacks", []):
        key = (a["norm"], a["eps"])
        robust = standing.get(key, correct).clone()
        rows = robust.nonzero()[:, 0]
        if len(rows) > 0:
            robust[rows[attack_fooled(model, x[rows], y[rows], a, gen)]] = False
        standing[key] = robust
        out[attack_name(a)] = robust.double().mean().item()
    mp = task.get("min_perturbation")
    if mp:
        low = torch.zeros(n, dtype=torch.float64)
        up = torch.full((n,), math.inf, dtype=torch.float64)
        best = None
        for rnd in range(mp["bisection_steps"] + 1):
            active = correct & ((rnd == 0) | torch.isfinite(up))
            rows = active.nonzero()[:, 0]
            if len(rows) == 0:
                break
            # only the rows still searched (rows are independent)
            e = (torch.full((len(rows),), mp["max_eps"], dtype=torch.float64) if rnd == 0
                 else 0.5 * (low[rows] + up[rows]))
            eps = e.float()
            alpha = 2.5 * eps / mp["steps"]
            fooled, fnorm, bdelta = pgd(model, x[rows], y[rows], "l2", eps, alpha, mp["steps"], gen, lo, hi, True,
                                        None if best is None else best[rows])
            take = fooled & (fnorm.double() < up[rows])
            best = torch.zeros_like(x) if best is None else best
            best[rows] = torch.where(take[:, None], bdelta, best[rows])
            on = eps > 0
            up[rows] = torch.where(on & fooled, torch.minimum(up[rows], fnorm.double()), up[rows])
            low[rows] = torch.where(on & ~fooled, torch.maximum(low[rows], eps.double()), low[rows])
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


def attack_fooled(model, x, y, a, gen):
    """Which rows of (x, y) the attack fooled (a row misclassified at x counts as fooled)."""
    n = x.shape[0]
    if a["kind"] == "fgsm":
        return fgsm(model, x, y, a["norm"], a["eps"], a["lo"] if "lo" in a else 0.0, a.get("hi", 1.0))
    eps = torch.full((n,), a["eps"])
    alpha = torch.full((n,), a["alpha"])
    fooled, _, _ = pgd(model, x, y, a["norm"], eps, alpha, a["steps"], gen, a.get("lo", 0.0), a.get("hi", 1.0))
    return fooled


def attack(model, x, y, a, gen, correct):
    """One attack on its own (the single-attack rows of --compare), on the rows classified correctly: lipwatch does
    not attack a misclassified row either, so both sides do the same work."""
    idx = correct.nonzero().squeeze(1)
    if idx.numel() == 0:
        return 0.0
    fooled = attack_fooled(model, x[idx], y[idx], a, gen)
    return (~fooled).double().sum().item() / x.shape[0]


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


def mlp_forward(ws, bs, a):
    for i in range(len(ws)):
        a = torch.addmm(bs[i], a, ws[i])
        if i < len(ws) - 1:
            a = torch.relu(a)
    return a


def train_setup(d, task):
    ws = [load(d, w).clone().requires_grad_(True) for w in task["w"]]
    bs = [load(d, b).clone().requires_grad_(True) for b in task["b"]]
    opt = torch.optim.Adam(ws + bs, lr=task["lr"], betas=(0.9, 0.999), eps=1e-8)
    return ws, bs, opt, load(d, task["x"]), load(d, task["y"]).long()


def adam_step(opt, t):
    """Adam step t (1-based) as DL4J/ND4J's updater takes it: its ε is added to √v before the bias correction
    √(1 − β₂ᵗ), i.e. torch's ε scaled by 1/√(1 − β₂ᵗ) (a scalar per step, no extra tensor work). With torch's ε the
    first steps of weights with gradients near ε differ (measured: 2e-5 in the mean loss after 3 steps)."""
    for g in opt.param_groups:
        g["eps"] = 1e-8 / math.sqrt(1.0 - 0.999 ** t)
    opt.step()


def train_finish(d, task, ws, bs, values):
    """Test accuracy after the epoch; with "save", the trained weights (and pairs) as .npy for the equivalence test."""
    with torch.no_grad():
        if task.get("test_x"):
            xt, yt = load(d, task["test_x"]), load(d, task["test_y"]).long()
            values["test_accuracy"] = (mlp_forward(ws, bs, xt).argmax(1) == yt).double().mean().item()
        if task.get("save"):
            for i in range(len(ws)):
                np.save(os.path.join(d, task["save"] + "_w%d.npy" % i), ws[i].detach().numpy())
                np.save(os.path.join(d, task["save"] + "_b%d.npy" % i), bs[i].detach().numpy())
    return values


def train_epoch(d, task):
    """One epoch of the MLP with Adam and softmax cross-entropy on the given batches, from the given weights."""
    ws, bs, opt, x, y = train_setup(d, task)
    total = 0.0
    t = 0
    t0 = time.perf_counter()
    for (start, end) in task["batches"]:
        loss = F.cross_entropy(mlp_forward(ws, bs, x[start:end]), y[start:end])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t += 1
        adam_step(opt, t)
        total += loss.item() * (end - start)
    # the epoch alone, as lipwatch times it (loading the arrays and the test accuracy are outside both timings)
    epoch = time.perf_counter() - t0
    return train_finish(d, task, ws, bs, {"mean_loss": total / task["batches"][-1][1], "epoch_seconds": epoch})


def noisy(x, noise, lo, hi):
    """x + U[0,1)·noise in [lo, hi]; coordinates the clip left unchanged step down instead (trainer's ClipPenalty)."""
    xp = (x + torch.rand(x.shape) * noise).clamp(lo, hi)
    down = (x - torch.rand(x.shape) * noise).clamp_min(lo)
    return torch.where(xp == x, down, xp)


def clip_epoch(d, task):
    """One CLIP epoch as lipwatch's trainer runs it (RegularizedTrainer + ClipPenalty, regularisation clip(λ) with
    the mean over the pairs, penalty λ·R, adaptive per-pair steps with rejection, no tracking): per minibatch one
    forward pass of [x_batch; x_pairs; x'_pairs], one backward pass of ∂CE/∂z on the data rows and λ·∂R̄/∂z on the pair
    rows (R_i = ‖f(x_i) − f(x'_i)‖/‖x_i − x'_i‖ with the distance held fixed, R̄ their mean), one Adam step, and one
    ascent step of every pair on ∂R_i/∂(x_i, x'_i) (through the network and through 1/‖x − x'‖), the step τ_i·‖x_i −
    x'_i‖/‖g_i‖; a pair whose ratio fell since its last step goes back to where it was, τ_i ÷ 1.3, else τ_i × 1.3 (≤ 10);
    pairs clipped to [lo, hi]. The initial pairs come from Java (the trainer's own draw). Only a pair collapsing onto
    itself (‖x − x'‖ < 1e-6) is re-drawn with torch's generator instead of Java's."""
    ws, bs, opt, x, y = train_setup(d, task)
    pairs = load(d, task["pairs"]).clone()
    p = pairs.shape[0] // 2
    lam, lo, hi = task["lambda"], task["lo"], task["hi"]
    tau = torch.full((p,), float(task["ascent_step"]), dtype=torch.float64)
    last_ratio = torch.zeros(p, dtype=torch.float64)
    prev = None
    total, total_pen, max_ratio = 0.0, 0.0, 0.0
    first_penalty = None
    t = 0
    t0 = time.perf_counter()
    for (start, end) in task["batches"]:
        b = end - start
        inp = torch.cat([x[start:end], pairs]).requires_grad_(True)
        z = mlp_forward(ws, bs, inp)
        loss = F.cross_entropy(z[:b], y[start:end])
        with torch.no_grad():
            df = z[b:b + p] - z[b + p:]
            dvec = pairs[:p] - pairs[p:]
            fn = row_norm(df).double()
            dn = row_norm(dvec).double()
            r = torch.where(dn > 0, fn / dn.clamp_min(1e-300), torch.zeros_like(dn))
            rw = torch.full((p,), 1.0 / p, dtype=torch.float64)
            penalty = (rw * r).sum().item()
            coef = torch.where((dn > 0) & (fn > 0), lam * rw / (fn * dn).clamp_min(1e-300), torch.zeros_like(dn))
            ex = df * coef.float()[:, None]
            eps = torch.cat([ex, -ex])
        opt.zero_grad(set_to_none=True)
        (loss + (eps * z[b:]).sum()).backward()
        back = inp.grad[b:]
        t += 1
        adam_step(opt, t)
        with torch.no_grad():
            if prev is not None:
                up = r >= last_ratio
                tau = torch.where(up, (tau * 1.3).clamp_max(10.0), tau / 1.3)
                rej = torch.cat([~up, ~up])
                pairs = torch.where(rej[:, None], prev, pairs)
                rw = torch.where(up, rw, torch.zeros_like(rw))
            scale = torch.where(rw * lam == 0, torch.zeros_like(rw), 1.0 / (rw * lam)).float()
            explicit = torch.where((rw == 0) | (dn == 0), torch.zeros_like(dn), -r / (dn * dn).clamp_min(1e-300)).float()
            gx = back[:p] * scale[:, None] + dvec * explicit[:, None]
            gxp = back[p:] * scale[:, None] - dvec * explicit[:, None]
            gn = (row_norm(gx).double() ** 2 + row_norm(gxp).double() ** 2).sqrt()
            s = torch.where((rw == 0) | (gn == 0), torch.zeros_like(gn), tau * dn / gn.clamp_min(1e-300)).float()
            last_ratio = r
            prev = pairs.clone()
            pairs = (pairs + torch.cat([gx * s[:, None], gxp * s[:, None]])).clamp_(lo, hi)
            collapsed = row_norm(pairs[:p] - pairs[p:]) < 1e-6
            if bool(collapsed.any()):
                fresh = noisy(pairs[:p], task["init_noise"], lo, hi)
                pairs[p:] = torch.where(collapsed[:, None], fresh, pairs[p:])
                last_ratio = torch.where(collapsed, torch.zeros_like(last_ratio), last_ratio)
        total += loss.item() * b
        total_pen += penalty * b
        max_ratio = max(max_ratio, r.max().item())
        if first_penalty is None:
            first_penalty = penalty
    epoch = time.perf_counter() - t0
    n = task["batches"][-1][1]
    values = {"mean_loss": total / n, "mean_penalty": total_pen / n, "first_penalty": first_penalty,
              "max_ratio": max_ratio, "epoch_seconds": epoch}
    if task.get("save"):
        np.save(os.path.join(d, task["save"] + "_pairs.npy"), pairs.numpy())
    return train_finish(d, task, ws, bs, values)


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
        # timed with the attack, as on the Java side: which samples are correct is part of every attack row's work
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
    if kind == "train_clip":
        return clip_epoch(d, task)
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
