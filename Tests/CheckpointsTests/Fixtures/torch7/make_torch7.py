"""Writes the Torch7 (.t7) fixtures of CheckpointsTests.

Run from the repository root (torch 2.15, torchfile 0.1.0 for the read-back check):

    python Tests/CheckpointsTests/Fixtures/torch7/make_torch7.py

Lua and Torch7 are not needed: a small writer below implements torch7's binary serialization
(File.lua writeObject; Tensor/Storage write in generic/Tensor.c and generic/Storage.c) and builds
module trees exactly as fb.resnet.torch's models/resnet.lua and models/preresnet.lua do, at tiny
widths, with seeded random weights. Every file is read back with the independent `torchfile`
reader and its tensors compared with what was written. Reference logits come from a PyTorch
interpreter of the same module tree (F.conv2d, F.batch_norm, …); deleting block k evaluates its
ConcatTable with the shortcut alone (the residual branch skipped), so the block outputs
post(shortcut(pre(x))).

  fb_preresnet_imagenet.t7   preresnet.lua ImageNet layout: 7x7 conv-BN-ReLU-maxpool stem,
                             bottleneck stages ('first' → no_preact, then both_preact/preact),
                             final BN-ReLU, Avg, View, Linear; cudnn.* class names, CudaTensor
                             weights and zero convolution biases as cudnn modules carry them
  fb_resnet_cifar_b.t7       resnet.lua CIFAR layout with -shortcutType B (post-activation basic
                             blocks, 1x1 conv + BN projections); one BN in the pre-2016 form
                             (running_std = 1/sqrt(var + eps))
  fb_preresnet_cifar_b.t7    preresnet.lua CIFAR layout with -shortcutType B (projection without BN)
  fb_resnet_cifar_a.t7       resnet.lua CIFAR default option A (SpatialAveragePooling(1,1,s,s)
                             subsample + Concat(2)[Identity, MulConstant(0)]: the zero channels
                             come after the input's), on odd 7x7 inputs (7 -> 4 at stage 2)
  <name>.expected.safetensors  'input' (N, C, H, W), 'logits', 'logits_drop_<k>'; metadata
                             torch version, seed, command, drops, blocks
"""

import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

SEED = 20160402
HERE = os.path.dirname(os.path.abspath(__file__))


# --- a Torch7 binary writer ------------------------------------------------------------------

class Obj:
    """A Torch object: class name and either fields (a dict) or a tensor (numpy array)."""

    def __init__(self, cls, fields=None, array=None, storage_type=None):
        self.cls, self.fields, self.array, self.storage_type = cls, fields, array, storage_type


class Writer:
    def __init__(self):
        self.out = bytearray()
        self.index = {}
        self.count = 0
        self.alive = []  # keeps written objects alive so that id() is never reused

    def i32(self, v):
        self.out += struct.pack("<i", v)

    def i64(self, v):
        self.out += struct.pack("<q", v)

    def string(self, s):
        b = s.encode()
        self.i32(len(b))
        self.out += b

    def reference(self, obj):
        """Writes the index; returns True when the object was written before."""
        key = id(obj)
        self.alive.append(obj)
        if key in self.index:
            self.i32(self.index[key])
            return True
        self.count += 1
        self.index[key] = self.count
        self.i32(self.count)
        return False

    def value(self, v):
        if v is None:
            self.i32(0)
        elif isinstance(v, bool):
            self.i32(5)
            self.i32(1 if v else 0)
        elif isinstance(v, (int, float)):
            self.i32(1)
            self.out += struct.pack("<d", float(v))
        elif isinstance(v, str):
            self.i32(2)
            self.string(v)
        elif isinstance(v, (dict, list)):
            self.i32(3)
            if self.reference(v):
                return
            items = list(v.items()) if isinstance(v, dict) else [(i + 1, x) for i, x in enumerate(v)]
            self.i32(len(items))
            for k, x in items:
                self.value(k)
                self.value(x)
        elif isinstance(v, Obj):
            self.i32(4)
            if self.reference(v):
                return
            self.string("V 1")
            self.string(v.cls)
            if v.array is not None:
                a = np.ascontiguousarray(v.array, dtype=np.float32)
                self.i32(a.ndim)
                for s in a.shape:
                    self.i64(s)
                strides = [st // 4 for st in a.strides]
                for s in strides:
                    self.i64(s)
                self.i64(1)
                self.value(Obj(v.storage_type, array=None, fields=a.reshape(-1)))
            elif v.cls.endswith("Storage"):
                data = np.asarray(v.fields, dtype=np.float32)
                self.i64(data.size)
                self.out += data.astype("<f4").tobytes()
            else:
                self.value(v.fields)
        else:
            raise TypeError(type(v))


def tensor(array, cuda=False):
    kind = "Cuda" if cuda else "Float"
    return Obj("torch.%sTensor" % kind, array=np.asarray(array, dtype=np.float32),
               storage_type="torch.%sStorage" % kind)


# --- fb.resnet.torch module trees --------------------------------------------------------------

class Net:
    def __init__(self, generator, cudnn):
        self.g = generator
        self.cudnn = cudnn

    def name(self, base, cudnn_capable=True):
        return ("cudnn." if self.cudnn and cudnn_capable else "nn.") + base

    def randn(self, *shape, scale=1.0):
        return (torch.randn(*shape, generator=self.g) * scale).numpy()

    def conv(self, nin, nout, k, s, p):
        w = self.randn(nout, nin, k, k, scale=(2.0 / (nin * k * k)) ** 0.5)
        fields = {"nInputPlane": nin, "nOutputPlane": nout, "kW": k, "kH": k, "dW": s, "dH": s,
                  "padW": p, "padH": p, "weight": tensor(w, self.cudnn), "train": False}
        if self.cudnn:
            fields["bias"] = tensor(np.zeros(nout), True)   # cudnn keeps a zeroed bias
            fields["groups"] = 1
        return Obj(self.name("SpatialConvolution"), fields)

    def bn(self, n, old=False):
        var = (torch.rand(n, generator=self.g) + 0.5).numpy()
        fields = {"weight": tensor(self.randn(n) * 0.3 + 1, self.cudnn), "bias": tensor(self.randn(n) * 0.2, self.cudnn),
                  "running_mean": tensor(self.randn(n) * 0.2, self.cudnn), "eps": 1e-5, "momentum": 0.1,
                  "affine": True, "nDim": 4}
        if old:
            fields["running_std"] = tensor(1 / np.sqrt(var + 1e-5), self.cudnn)
        else:
            fields["running_var"] = tensor(var, self.cudnn)
        obj = Obj("nn.SpatialBatchNormalization", fields)
        obj.var = var
        return obj

    def relu(self):
        return Obj(self.name("ReLU"), {"inplace": True, "threshold": 0, "val": 0})

    def seq(self, *modules):
        return Obj("nn.Sequential", {"modules": list(modules), "train": False})

    def concat_table(self, *modules):
        return Obj("nn.ConcatTable", {"modules": list(modules)})

    def cadd(self):
        return Obj("nn.CAddTable", {"inplace": True})

    def identity(self):
        return Obj("nn.Identity", {})

    def linear(self, nin, nout):
        return Obj("nn.Linear", {"weight": tensor(self.randn(nout, nin, scale=nin ** -0.5), self.cudnn),
                                 "bias": tensor(self.randn(nout) * 0.1, self.cudnn)})

    def avg(self, k):
        return Obj(self.name("SpatialAveragePooling"), {"kW": k, "kH": k, "dW": 1, "dH": 1, "padW": 0, "padH": 0,
                                                        "ceil_mode": False, "count_include_pad": True})

    def max_pool(self):
        return Obj("nn.SpatialMaxPooling", {"kW": 3, "kH": 3, "dW": 2, "dH": 2, "padW": 1, "padH": 1,
                                            "ceil_mode": False})

    def view(self, n):
        return Obj("nn.View", {"numElements": n, "numInputDims": 3})


def resnet_shortcut(net, nin, nout, stride, kind, preact):
    if kind == "B" and nin != nout or kind == "C":
        layers = [net.conv(nin, nout, 1, stride, 0)] + ([] if preact else [net.bn(nout)])
        return net.seq(*layers)
    if nin != nout:
        return net.seq(Obj("nn.SpatialAveragePooling", {"kW": 1, "kH": 1, "dW": stride, "dH": stride, "padW": 0,
                                                        "padH": 0, "ceil_mode": False}),
                       Obj("nn.Concat", {"dimension": 2, "modules": [net.identity(), Obj("nn.MulConstant", {
                           "constant_scalar": 0, "inplace": False})]}))
    return net.identity()


def resnet_basic(net, nin, n, stride, kind, old_bn=False):
    s = net.seq(net.conv(nin, n, 3, stride, 1), net.bn(n, old=old_bn), net.relu(), net.conv(n, n, 3, 1, 1), net.bn(n))
    return net.seq(net.concat_table(s, resnet_shortcut(net, nin, n, stride, kind, False)), net.cadd(), net.relu())


def preact_basic(net, nin, n, stride, kind, block_type):
    block, s = net.seq(), net.seq()
    pre = []
    if block_type == "both_preact":
        pre = [net.bn(nin), net.relu()]
    elif block_type != "no_preact":
        s.fields["modules"] += [net.bn(nin), net.relu()]
    s.fields["modules"] += [net.conv(nin, n, 3, stride, 1), net.bn(n), net.relu(), net.conv(n, n, 3, 1, 1)]
    block.fields["modules"] = pre + [net.concat_table(s, resnet_shortcut(net, nin, n, stride, kind, True)), net.cadd()]
    return block


def preact_bottleneck(net, nin, n, stride, kind, block_type):
    block, s = net.seq(), net.seq()
    pre = []
    if block_type == "both_preact":
        pre = [net.bn(nin), net.relu()]
    elif block_type != "no_preact":
        s.fields["modules"] += [net.bn(nin), net.relu()]
    s.fields["modules"] += [net.conv(nin, n, 1, 1, 0), net.bn(n), net.relu(), net.conv(n, n, 3, stride, 1),
                            net.bn(n), net.relu(), net.conv(n, n * 4, 1, 1, 0)]
    block.fields["modules"] = pre + [net.concat_table(s, resnet_shortcut(net, nin, n * 4, stride, kind, True)),
                                     net.cadd()]
    return block


def preresnet_imagenet(net):
    """preresnet.lua, ImageNet: bottleneck stages of 2 and 1 blocks, widths 4 and 8 (out 16, 32), stem 8."""
    model = net.seq(net.conv(3, 8, 7, 2, 3), net.bn(8), net.relu(), net.max_pool())
    channels = 8
    for features, count, stride, first in [(4, 2, 1, "first"), (8, 1, 2, None)]:
        layer = net.seq()
        for i in range(count):
            block_type = ("no_preact" if first == "first" else "both_preact") if i == 0 else "preact"
            layer.fields["modules"].append(
                preact_bottleneck(net, channels, features, stride if i == 0 else 1, "B", block_type))
            channels = features * 4
        model.fields["modules"].append(layer)
    model.fields["modules"] += [Obj("nn.Copy", {"intype": "torch.CudaTensor", "outtype": "torch.CudaTensor",
                                                "dontCast": True}),
                                net.bn(channels), net.relu(), net.avg(4), net.view(channels), net.linear(channels, 3)]
    return model


def resnet_cifar(net, kind, old_bn):
    model = net.seq(net.conv(3, 4, 3, 1, 1), net.bn(4), net.relu())
    channels = 4
    for features, count, stride in [(4, 2, 1), (8, 1, 2)]:
        layer = net.seq()
        for i in range(count):
            layer.fields["modules"].append(
                resnet_basic(net, channels, features, stride if i == 0 else 1, kind, old_bn and i == 1))
            channels = features
        model.fields["modules"].append(layer)
    model.fields["modules"] += [net.avg(4), net.view(channels), net.linear(channels, 5)]
    return model


def preresnet_cifar(net):
    model = net.seq(net.conv(3, 4, 3, 1, 1))
    channels = 4
    for features, count, stride in [(4, 1, 1), (8, 2, 2)]:
        layer = net.seq()
        for i in range(count):
            layer.fields["modules"].append(preact_basic(net, channels, features, stride if i == 0 else 1, "B",
                                                        "both_preact" if i == 0 else "preact"))
            channels = features
        model.fields["modules"].append(layer)
    model.fields["modules"] += [net.bn(channels), net.relu(), net.avg(4), net.view(channels), net.linear(channels, 4)]
    return model


# --- a PyTorch interpreter of the module tree ---------------------------------------------------

def is_block(m):
    names = [c.cls.split(".")[-1] for c in m.fields.get("modules", [])] if m.cls == "nn.Sequential" else []
    return "ConcatTable" in names and names.index("ConcatTable") + 1 < len(names) and \
        names[names.index("ConcatTable") + 1] == "CAddTable"


def blocks_in(m):
    if is_block(m):
        return [m]
    if m.cls == "nn.Sequential":
        return [b for c in m.fields["modules"] for b in blocks_in(c)]
    return []


def t(obj):
    return torch.from_numpy(np.asarray(obj.array, dtype=np.float32))


def evaluate(m, x, deleted):
    kind = m.cls.split(".")[-1]
    f = m.fields
    if kind == "Sequential":
        for c in f["modules"]:
            x = evaluate(c, x, deleted)
        return x
    if kind == "ConcatTable":
        members = f["modules"][1:] if id(m) in deleted else f["modules"]
        return [evaluate(c, x, deleted) for c in members]
    if kind == "CAddTable":
        return sum(x[1:], x[0])
    if kind == "Concat":
        return torch.cat([evaluate(c, x, deleted) for c in f["modules"]], dim=1)
    if kind == "MulConstant":
        return x * f["constant_scalar"]
    if kind in ("Identity", "Copy"):
        return x
    if kind == "SpatialConvolution":
        return F.conv2d(x, t(f["weight"]), t(f["bias"]) if "bias" in f else None, stride=f["dW"], padding=f["padW"])
    if kind == "SpatialBatchNormalization":
        return F.batch_norm(x, t(f["running_mean"]), torch.from_numpy(m.var), t(f["weight"]), t(f["bias"]),
                            False, 0.0, f["eps"])
    if kind == "ReLU":
        return F.relu(x)
    if kind == "SpatialMaxPooling":
        return F.max_pool2d(x, f["kW"], f["dW"], f["padW"])
    if kind == "SpatialAveragePooling":
        return F.avg_pool2d(x, f["kW"], f["dW"], f["padW"])
    if kind == "View":
        return x.reshape(x.shape[0], -1)
    if kind == "Linear":
        return F.linear(x, t(f["weight"]), t(f["bias"]))
    raise ValueError(kind)


def logits(model, x, drop=None):
    deleted = set()
    if drop is not None:
        block = blocks_in(model)[drop - 1]
        concat = next(c for c in block.fields["modules"] if c.cls == "nn.ConcatTable")
        deleted.add(id(concat))
    with torch.no_grad():
        return evaluate(model, x, deleted).contiguous()


# --- read-back check with the independent torchfile reader --------------------------------------

def check_with_torchfile(path, model):
    import torchfile
    loaded = torchfile.load(path)

    def walk(ours, theirs, where):
        if ours.array is not None:
            assert np.array_equal(np.asarray(theirs, dtype=np.float32), ours.array.astype(np.float32)), where
            return 1
        if ours.cls.endswith("Storage"):
            return 0
        count = 0
        for key, value in ours.fields.items():
            other = theirs[key.encode()] if hasattr(theirs, "keys") or isinstance(theirs, dict) else getattr(
                theirs, key)
            if isinstance(value, Obj):
                count += walk(value, other, where + "." + key)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    count += walk(item, other[i], "%s.%s[%d]" % (where, key, i + 1))
        return count

    compared = walk(model, loaded, "model")
    assert compared > 0
    return compared


def write_fixture(name, model, input_shape, drops, generator):
    writer = Writer()
    writer.value(model)
    path = os.path.join(HERE, name + ".t7")
    with open(path, "wb") as f:
        f.write(writer.out)
    compared = check_with_torchfile(path, model)
    if drops is None:
        print(name, "written, torchfile compared", compared, "tensors", file=sys.stderr)
        return
    x = torch.randn(input_shape, generator=generator)
    expected = {"input": x.contiguous(), "logits": logits(model, x)}
    for k in drops:
        expected["logits_drop_%d" % k] = logits(model, x, k)
    metadata = {"torch_version": torch.__version__, "seed": str(SEED),
                "command": "python Tests/CheckpointsTests/Fixtures/torch7/make_torch7.py",
                "drops": ",".join(map(str, drops)), "blocks": str(len(blocks_in(model)))}
    save_file(expected, os.path.join(HERE, name + ".expected.safetensors"), metadata=metadata)
    print(name, "written, torchfile compared", compared, "tensors", file=sys.stderr)


def main():
    generator = torch.Generator().manual_seed(SEED)
    write_fixture("fb_preresnet_imagenet", preresnet_imagenet(Net(generator, cudnn=True)), (2, 3, 32, 32),
                  [1, 2, 3], generator)
    write_fixture("fb_resnet_cifar_b", resnet_cifar(Net(generator, cudnn=False), "B", old_bn=True), (2, 3, 8, 8),
                  [1, 3], generator)
    write_fixture("fb_preresnet_cifar_b", preresnet_cifar(Net(generator, cudnn=False)), (2, 3, 8, 8),
                  [1, 2, 3], generator)
    write_fixture("fb_resnet_cifar_a", resnet_cifar(Net(generator, cudnn=False), "A", old_bn=False), (2, 3, 7, 7),
                  [1, 3], generator)


if __name__ == "__main__":
    main()
