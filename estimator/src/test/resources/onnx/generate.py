#!/usr/bin/python3
"""Exports the small ONNX fixtures of the ONNX reader's tests (Debian's python3-torch, fixed seeds).

Beside each NAME.onnx it writes NAME.json: the probe inputs, PyTorch's outputs on them ("outputs": what the model
returns; "engine_outputs": the logits, without the output activation (softmax or sigmoid), which the engine drops
because its bounds and certified margins are of the logits), the exact spectral norm of every linear operator in the order the engine sees them ("layer_norms", from
torch.linalg on the explicit matrices), the product AutoLip should reach on chains ("autolip_product": layer norms
times the activations' Lipschitz constants) and the exact Lipschitz constant where it is known ("exact_lipschitz":
linear nets and ReLU nets with non-negative weights, where it is the norm of the all-active product).

Run from this directory:  /usr/bin/python3 generate.py
"""
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


def export(name, model, in_shape, opset, dynamic, norms, autolip=None, exact=None, batch=3, lo=0.0, hi=1.0):
    model.eval()
    g = torch.Generator().manual_seed(7)
    x = lo + (hi - lo) * torch.rand(batch, *in_shape, generator=g)
    args = dict(input_names=["input"], output_names=["output"], opset_version=opset, do_constant_folding=False)
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
