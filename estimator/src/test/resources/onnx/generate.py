#!/usr/bin/python3
"""Exports the small ONNX fixtures of the ONNX reader's tests (Debian's python3-torch, fixed seeds).

Beside each NAME.onnx it writes NAME.json: the probe inputs, PyTorch's outputs on them ("outputs": what the model
returns; "engine_outputs": the logits, without the output activation (softmax or sigmoid), which the engine drops
because its bounds and certified margins are of the logits), the exact spectral norm of every linear operator in the order the engine sees them ("layer_norms", from
torch.linalg on the explicit matrices), the product AutoLip should reach on chains ("autolip_product": layer norms
times the activations' Lipschitz constants) and the exact Lipschitz constant where it is known ("exact_lipschitz":
linear nets and ReLU nets with non-negative weights, where it is the norm of the all-active product). The fixtures of
more() also store "jacobian_norm_max": the largest spectral norm of the logits' Jacobian at the inputs (autograd, in
float64), a true lower bound on the Lipschitz constant that every sound upper bound must reach.

Run from this directory:  /usr/bin/python3 generate.py
"""
import copy
import json
import torch
import torch.nn as nn


def conv_matrix(conv, in_shape):
    """The convolution (no bias) as an explicit matrix on one flattened NCHW example."""
    n = 1
    for d in in_shape:
        n *= d
    eye = torch.eye(n, dtype=torch.float64).reshape(n, *in_shape)
    w = conv.weight.detach().double()
    out = torch.nn.functional.conv2d(eye, w, None, conv.stride, conv.padding, conv.dilation, conv.groups)
    return out.reshape(n, -1).T


def norm2(m):
    return float(torch.linalg.matrix_norm(m.double(), ord=2))


def bn_norm(bn):
    s = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
    return float(s.abs().max())


class Mlp(nn.Module):
    def __init__(self, sizes, act, out):
        super().__init__()
        self.lins = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.act = act
        self.out = out

    def logits(self, x):
        for i, l in enumerate(self.lins):
            x = l(x)
            if i < len(self.lins) - 1:
                x = self.act(x)
        return x

    def forward(self, x):
        z = self.logits(x)
        return self.out(z) if self.out is not None else z


class CnnBn(nn.Module):
    """Conv-ReLU-BN-MaxPool, flattened with view (a Shape-Gather-Unsqueeze-Concat-Reshape chain at opset 9). The
    batch norm follows the ReLU: directly after a convolution the exporter would fold it into the convolution."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def logits(self, x):
        x = self.pool(self.bn(torch.relu(self.conv(x))))
        return self.fc(x.view(x.size(0), -1))

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


class CnnRes(nn.Module):
    """Conv, a residual Add, a channel Concat, average pooling, global average pooling, Flatten, Linear."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, 3, padding=1)
        self.c3 = nn.Conv2d(4, 2, 1)
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(6, 3)

    def logits(self, x):
        h = torch.relu(self.c1(x))
        r = h + self.c2(h)
        m = torch.cat([r, torch.tanh(self.c3(r))], dim=1)
        g = torch.mean(self.pool(m), dim=(2, 3), keepdim=True)
        return self.fc(torch.flatten(g, 1))

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


def init_bn(bn, g):
    with torch.no_grad():
        bn.weight.copy_(torch.rand(bn.num_features, generator=g) + 0.5)
        bn.bias.copy_(torch.randn(bn.num_features, generator=g) * 0.1)
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=g) * 0.1)
        bn.running_var.copy_(torch.rand(bn.num_features, generator=g) + 0.5)


def export(name, model, in_shape, opset, dynamic, norms, autolip=None, exact=None, batch=3, lo=0.0, hi=1.0,
           dtype=None, fold=False, jacobian=False):
    model.eval()
    g = torch.Generator().manual_seed(7)
    x = lo + (hi - lo) * torch.rand(batch, *in_shape, generator=g)
    if dtype is not None:
        x = x.to(dtype)
    args = dict(input_names=["input"], output_names=["output"], opset_version=opset, do_constant_folding=fold)
    if dynamic:
        args["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    torch.onnx.export(model, x, name + ".onnx", **args)
    with torch.no_grad():
        out = model(x)
        eng = model.logits(x)
    meta = {
        "opset": opset, "dynamic_batch": dynamic, "input_shape": list(in_shape),
        "inputs": x.reshape(batch, -1).double().tolist(), "outputs": out.double().tolist(),
        "engine_outputs": eng.double().tolist(), "layer_norms": norms,
        "autolip_product": autolip, "exact_lipschitz": exact,
    }
    if jacobian:
        meta["input_dtype"] = str(x.dtype).replace("torch.", "")
        meta["jacobian_norm_max"] = jacobian_norm_max(model, x)
    with open(name + ".json", "w") as f:
        json.dump(meta, f, indent=1)




def main():
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(2)

    # linear classifier, softmax output, opset 13, dynamic batch: exact L = ||W||
    lin = Mlp([12, 4], None, lambda z: torch.softmax(z, dim=1))
    w = lin.lins[0].weight.detach().double()
    export("linear_o13", LogitsView(lin, softmax=True), [12], 13, True, [norm2(w)], norm2(w), norm2(w))

    # ReLU MLP with non-negative weights, softmax output, opset 9, fixed batch: exact L = ||W3 W2 W1||
    nn_mlp = Mlp([10, 8, 6, 4], torch.relu, None)
    with torch.no_grad():
        for l in nn_mlp.lins:
            l.weight.abs_()
            l.bias.abs_()
    ws = [l.weight.detach().double() for l in nn_mlp.lins]
    exact = norm2(ws[2] @ ws[1] @ ws[0])
    norms = [norm2(v) for v in ws]
    export("relu_nonneg_o9", LogitsView(nn_mlp, softmax=True), [10], 9, False, norms, norms[0] * norms[1] * norms[2], exact)

    # tanh MLP with a sigmoid output (dropped by the engine: bounds are of the logits), opset 13, dynamic batch
    sig = Mlp([6, 8, 3], torch.tanh, None)
    ws = [l.weight.detach().double() for l in sig.lins]
    norms = [norm2(v) for v in ws]
    export("mlp_sigmoid_o13", LogitsView(sig, sigmoid=True), [6], 13, True, norms, norms[0] * norms[1])

    # CNN with batch norm, max pooling and a view() flatten, opset 9 fixed batch
    cnn = CnnBn()
    init_bn(cnn.bn, g)
    norms = [norm2(conv_matrix(cnn.conv, (1, 8, 8))), bn_norm(cnn.bn), norm2(cnn.fc.weight.detach())]
    export("cnn_bn_o9", cnn, [1, 8, 8], 9, False, norms, norms[0] * norms[1] * norms[2])

    # residual CNN with a concat, opset 13 dynamic batch
    res = CnnRes()
    norms = [norm2(conv_matrix(res.c1, (2, 6, 6))), norm2(conv_matrix(res.c2, (4, 6, 6))),
             norm2(conv_matrix(res.c3, (4, 6, 6))), 0.5, 1.0 / 3.0, norm2(res.fc.weight.detach())]
    export("cnn_res_o13", res, [2, 6, 6], 13, True, norms)


def jacobian_norm_max(model, x):
    """max over the fixture inputs of ‖J(x)‖₂, J the logits' Jacobian (in float64, with the stored weights): a true
    lower bound on the logit map's Lipschitz constant."""
    m = copy.deepcopy(model).double().eval()
    best = 0.0
    for i in range(x.shape[0]):
        xi = x[i:i + 1].double()
        j = torch.autograd.functional.jacobian(lambda v: m.logits(v.reshape(xi.shape)).reshape(-1), xi.reshape(-1))
        best = max(best, norm2(j))
    return best


class Relu6F(nn.Module):
    """F.relu6: exported as Relu then Clip(max 6), where nn.ReLU6 gives Clip(0, 6)."""

    def forward(self, x):
        return nn.functional.relu6(x)


class Zoo(nn.Module):
    """The element-wise activations of PyTorch exports: LeakyReLU, ELU, Softplus, Dropout (eval mode), Hardsigmoid
    (HardSigmoid with α = 1/6), nn.ReLU6 (Clip(0, 6)) and F.relu6 (Relu, Clip(max 6)); a log-softmax output."""

    def __init__(self):
        super().__init__()
        self.lins = nn.ModuleList([nn.Linear(a, b) for a, b in [(6, 8)] + [(8, 8)] * 5 + [(8, 4)]])
        self.acts = nn.ModuleList([nn.LeakyReLU(0.1), nn.ELU(0.7), nn.Sequential(nn.Softplus(), nn.Dropout(0.3)),
                                   nn.Hardsigmoid(), nn.ReLU6(), Relu6F()])

    def logits(self, x):
        for lin, act in zip(self.lins, self.acts):
            x = act(lin(x))
        return self.lins[-1](x)

    def forward(self, x):
        return torch.log_softmax(self.logits(x), dim=1)


class MatMulNet(nn.Module):
    """nn.Linear written out: torch.matmul plus a bias, a bias-free Linear plus an explicit bias (MatMul + Add)."""

    def __init__(self, sizes):
        super().__init__()
        self.w1 = nn.Parameter(torch.rand(sizes[1], sizes[0]) * 0.5)
        self.b1 = nn.Parameter(torch.rand(sizes[1]) * 0.1)
        self.l2 = nn.Linear(sizes[1], sizes[2], bias=False)
        self.b2 = nn.Parameter(torch.rand(sizes[2]) * 0.1)
        self.w3 = nn.Parameter(torch.rand(sizes[3], sizes[2]) * 0.5)
        self.b3 = nn.Parameter(torch.rand(sizes[3]) * 0.1)
        with torch.no_grad():
            self.l2.weight.abs_()

    def weights(self):
        return [self.w1, self.l2.weight, self.w3]

    def logits(self, x):
        h = torch.relu(torch.matmul(x, self.w1.t()) + self.b1)
        h = torch.relu(self.l2(h) + self.b2)
        return torch.matmul(h, self.w3.t()) + self.b3

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


class CnnStrided(nn.Module):
    """Asymmetric nn.ZeroPad2d (Pad), a stride-2 convolution, a dilated grouped one, a depthwise stride-2 one."""

    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 2, 0, 1))
        self.c1 = nn.Conv2d(2, 4, 3, stride=2)
        self.c2 = nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2)
        self.c3 = nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4)
        self.fc = nn.Linear(4 * 2 * 3, 3)

    def logits(self, x):
        h = torch.relu(self.c1(self.pad(x)))
        h = nn.functional.leaky_relu(self.c2(h), 0.1)
        h = torch.tanh(self.c3(h))
        return self.fc(torch.flatten(h, 1))

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


class CnnSmall(nn.Module):
    """Conv, ReLU, Linear: the float64 fixture (model.double())."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.fc = nn.Linear(3 * 5 * 5, 4)

    def logits(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))

    def forward(self, x):
        return self.logits(x)


class HalfWeights(nn.Module):
    """Weights stored in float16 and cast to float32 for the computation (CPU PyTorch cannot run a .half() model, so
    this is how half-precision weights reach an ONNX file from it): float16 initializers feeding Cast nodes."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter((torch.randn(8, 5) * 0.5).half())
        self.b1 = nn.Parameter((torch.randn(8) * 0.1).half())
        self.w2 = nn.Parameter((torch.randn(3, 8) * 0.5).half())
        self.b2 = nn.Parameter((torch.randn(3) * 0.1).half())

    def logits(self, x):
        h = torch.tanh(nn.functional.linear(x, self.w1.to(x.dtype), self.b1.to(x.dtype)))
        return nn.functional.linear(h, self.w2.to(x.dtype), self.b2.to(x.dtype))

    def forward(self, x):
        return self.logits(x)


def more():
    """Fixtures of what users' exports contain beyond the first five (each with its own seed)."""
    for opset, dynamic in [(9, False), (13, True)]:
        torch.manual_seed(11)
        zoo = Zoo()
        ws = [norm2(l.weight.detach()) for l in zoo.lins]
        # engine order: four Gemms, the hard sigmoid's two diagonal scalings (6α = 6·float(1/6), 1/6), two Gemms
        a6 = 6 * float(torch.tensor(1.0 / 6, dtype=torch.float32))
        norms = ws[:4] + [a6, 1.0 / 6] + ws[4:]
        prod = 1.0
        for v in norms:
            prod *= v
        export("mlp_zoo_o%d" % opset, zoo, [6], opset, dynamic, norms, prod, batch=4, lo=-2.0, hi=2.0, jacobian=True)

    # non-negative weights and inputs: every ReLU active, exact L = ‖W3 W2 W1‖; opset 9 unfolded (Transpose of the
    # weights), opset 13 folded as torch.onnx.export does by default
    for opset, dynamic, fold in [(9, False, False), (13, True, True)]:
        torch.manual_seed(12)
        mm = MatMulNet([10, 8, 6, 4])
        ws = [w.detach().double() for w in mm.weights()]
        norms = [norm2(w) for w in ws]
        export("matmul_o%d" % opset, mm, [10], opset, dynamic, norms, norms[0] * norms[1] * norms[2],
               norm2(ws[2] @ ws[1] @ ws[0]), batch=4, fold=fold, jacobian=True)

    for opset, dynamic in [(9, False), (13, True)]:
        torch.manual_seed(13)
        cnn = CnnStrided()
        pad_n = 1.0
        norms = [pad_n, norm2(conv_matrix(cnn.c1, (2, 10, 11))), norm2(conv_matrix(cnn.c2, (4, 4, 5))),
                 norm2(conv_matrix(cnn.c3, (4, 4, 5))), norm2(cnn.fc.weight.detach())]
        export("cnn_strided_o%d" % opset, cnn, [2, 9, 8], opset, dynamic, norms, batch=4, lo=-1.0, hi=1.0,
               jacobian=True)

    torch.manual_seed(14)
    dbl = CnnSmall().double()
    norms = [norm2(conv_matrix(dbl.conv, (1, 5, 5))), norm2(dbl.fc.weight.detach())]
    export("cnn_float64_o13", dbl, [1, 5, 5], 13, True, norms, batch=3, dtype=torch.float64, jacobian=True)

    # a training-mode export: Dropout with training_mode = true must be refused, naming the node
    torch.manual_seed(16)
    drop = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 2)).train()
    torch.onnx.export(drop, torch.rand(2, 4), "dropout_train_o13.onnx", input_names=["input"], output_names=["output"],
                      opset_version=13, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    with open("dropout_train_o13.json", "w") as f:
        json.dump({"opset": 13, "refused_op": "Dropout"}, f, indent=1)

    torch.manual_seed(15)
    half = HalfWeights()
    norms = [norm2(half.w1.detach()), norm2(half.w2.detach())]
    export("mlp_float16_o13", half, [5], 13, True, norms, norms[0] * norms[1], batch=3, jacobian=True)


class LogitsView(nn.Module):
    """An MLP with its output function, softmax or sigmoid (both dropped by the engine)."""

    def __init__(self, mlp, softmax=False, sigmoid=False):
        super().__init__()
        self.mlp = mlp
        self.softmax = softmax
        self.sigmoid = sigmoid

    def logits(self, x):
        return self.mlp.logits(x)

    def forward(self, x):
        z = self.mlp.logits(x)
        if self.softmax:
            return torch.softmax(z, dim=1)
        return torch.sigmoid(z) if self.sigmoid else z


if __name__ == "__main__":
    main()
    more()
