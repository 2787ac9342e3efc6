#!/usr/bin/env python3
"""Writes the TensorFormats test fixtures with real PyTorch, numpy and safetensors.

Run from the repository root:
    python Tests/TensorFormatsTests/Fixtures/make_fixtures.py

The committed fixtures were generated with Python 3.11.7, torch 2.15.0+cu132, numpy 2.4.6 and
safetensors 0.8.0 (pip). Other versions may lay records out differently, but the values
recorded in expected.json only depend on the seed.

Everything is seeded (SEED below); the versions used, the seed and this command are recorded in
expected.json under "generator". expected.json also holds, for every fixture, the tensors a
reader must produce (name, dtype, shape and the values in C order: integers as JSON numbers,
floating-point values as strings holding the exact shortest repr of the double), the
archive format and metadata, so the Swift tests compare against values computed here
independently of the file bytes.
"""
import collections
import io
import json
import os
import sys

import numpy as np
import safetensors
import safetensors.torch
import torch

SEED = 20160520
COMMAND = "python Tests/TensorFormatsTests/Fixtures/make_fixtures.py"
HERE = os.path.dirname(os.path.abspath(__file__))

torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)

DTYPE_NAMES = {
    torch.float64: "float64", torch.float32: "float32", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32",
    torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
}
NP_DTYPE_NAMES = {
    "float64": "float64", "float32": "float32", "float16": "float16", "int64": "int64",
    "int32": "int32", "int16": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
}

expected = {}


def torch_values(t):
    t = t.detach().contiguous()
    if t.dtype.is_floating_point:
        # Exact decimal (shortest round-trip repr of the double) as strings: some JSON readers
        # do not round decimal numbers correctly.
        return [repr(float(v)) for v in t.to(torch.float64).reshape(-1).tolist()]
    if t.dtype == torch.bool:
        return [1 if v else 0 for v in t.reshape(-1).tolist()]
    return [int(v) for v in t.reshape(-1).tolist()]


def describe_torch(name, t):
    return {"name": name, "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
            "values": torch_values(t)}


def record(file, fmt, tensors, metadata=None):
    expected[file] = {"format": fmt, "metadata": metadata or {},
                      "tensors": [describe_torch(n, t) for n, t in tensors]}


class Tiny(torch.nn.Module):
    """A miniature residual-network layer set: conv, batch norm, linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 3, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(3)
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(torch.relu(self.bn1(self.conv1(x))).mean(dim=(2, 3)))


model = Tiny()
with torch.no_grad():
    model.bn1.weight.uniform_(0.5, 1.5)
    model.bn1.bias.uniform_(-0.5, 0.5)
    model.bn1.running_mean.uniform_(-1, 1)
    model.bn1.running_var.uniform_(0.5, 2)
    model.bn1.num_batches_tracked.fill_(7)
state = model.state_dict()  # OrderedDict with _metadata (saved via BUILD)
plain = list(state.items())


def save(obj, name, legacy=False):
    path = os.path.join(HERE, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return name


# 1. Plain state dicts, zip and legacy.
record(save(state, "zip_plain.pt"), "torchZip", plain)
record(save(state, "legacy_plain.pt", legacy=True), "torchLegacy", plain)

# 2. Training-checkpoint wrappers with DataParallel `module.` prefixes and optimizer state.
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss = model(torch.randn(2, 2, 5, 5)).sum()
loss.backward()
optimizer.step()
wrapped_state = collections.OrderedDict(("module." + k, v) for k, v in model.state_dict().items())
checkpoint = {"epoch": 3, "state_dict": wrapped_state, "best_prec1": 91.5,
              "optimizer": optimizer.state_dict()}
unwrapped = [(k[len("module."):], v) for k, v in wrapped_state.items()]
wrapper_metadata = {"wrapper": "state_dict", "prefix_stripped": "module.",
                    "checkpoint.epoch": "3", "checkpoint.best_prec1": "91.5"}
record(save(checkpoint, "zip_wrapped.pt"), "torchZip", unwrapped, wrapper_metadata)
record(save(checkpoint, "legacy_wrapped.pt", legacy=True), "torchLegacy", unwrapped,
       wrapper_metadata)
model_wrapper = {"model": model.state_dict(), "epoch": 5}
record(save(model_wrapper, "zip_model_key.pt"), "torchZip", list(model.state_dict().items()),
       {"wrapper": "model", "checkpoint.epoch": "5"})

# 2b. nn.Parameter objects (state_dict(keep_vars=True) → _rebuild_parameter) and pickle
# protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL), zip and legacy.
record(save(model.state_dict(keep_vars=True), "zip_parameters.pt"), "torchZip",
       list(model.state_dict().items()))
path = os.path.join(HERE, "zip_protocol4.pt")
torch.save(state, path, pickle_protocol=4)
record("zip_protocol4.pt", "torchZip", plain)
path = os.path.join(HERE, "legacy_protocol4.pt")
torch.save(state, path, pickle_protocol=4, _use_new_zipfile_serialization=False)
record("legacy_protocol4.pt", "torchLegacy", plain)

# 3. Half precision.
half = collections.OrderedDict(
    (k, v.half() if v.is_floating_point() else v) for k, v in state.items())
record(save(half, "zip_fp16.pt"), "torchZip", list(half.items()))

# 4. Views sharing one storage: slices, a transposed view, a strided view, a row.
base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.25 - 2
views = collections.OrderedDict([
    ("base", base),
    ("slice", base[1:3, 2:5]),
    ("transposed", base.t()),
    ("row", base[2]),
    ("every_other_column", base[:, ::2]),
    ("scalar_view", base[3, 4]),
    ("steps", torch.tensor(11, dtype=torch.int64)),
    ("ints", torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3).t()),
])
record(save(views, "zip_views.pt"), "torchZip", list(views.items()))
record(save(views, "legacy_views.pt", legacy=True), "torchLegacy", list(views.items()))
buffer = io.BytesIO()
torch.save(views, buffer)  # saved to a buffer: the archive folder is "archive/"
with open(os.path.join(HERE, "zip_buffer.pt"), "wb") as handle:
    handle.write(buffer.getvalue())
record("zip_buffer.pt", "torchZip", list(views.items()))

# 5. safetensors from the safetensors package, every supported dtype.
st_tensors = collections.OrderedDict([
    ("conv.weight", torch.randn(3, 2, 3, 3)),
    ("fc.bias", torch.randn(2, dtype=torch.float64)),
    ("half", torch.randn(5).half()),
    ("brain", torch.randn(4).bfloat16()),
    ("bn.num_batches_tracked", torch.tensor(7, dtype=torch.int64)),
    ("i32", torch.tensor([-5, 0, 7], dtype=torch.int32)),
    ("i16", torch.tensor([[-300, 2], [3, 30000]], dtype=torch.int16)),
    ("i8", torch.tensor([-128, 127], dtype=torch.int8)),
    ("u8", torch.tensor([0, 200, 255], dtype=torch.uint8)),
    ("mask", torch.tensor([True, False, True])),
    ("empty", torch.zeros(2, 0)),
])
st_path = os.path.join(HERE, "mixed.safetensors")
safetensors.torch.save_file(st_tensors, st_path, metadata={"format": "pt"})  # one key: the Rust writer orders several keys randomly
st_loaded = safetensors.torch.load_file(st_path)
with open(st_path, "rb") as handle:
    raw = handle.read()
header_len = int.from_bytes(raw[:8], "little")
header = json.loads(raw[8:8 + header_len])
order = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"])
record("mixed.safetensors", "safetensors", [(k, st_loaded[k]) for k in order],
       {"format": "pt"})

# 6. .npy in several dtypes, byte orders and Fortran order (numpy's own writer).
npy = {}


def save_npy(name, array):
    np.save(os.path.join(HERE, name), array)
    c = array.copy(order="C")  # (np.ascontiguousarray would turn a 0-d array into 1-d)
    dtype = NP_DTYPE_NAMES[c.dtype.name]
    if c.dtype.kind == "f":
        values = [repr(float(v)) for v in c.reshape(-1).astype(np.float64).tolist()]
    else:
        values = c.reshape(-1).astype(np.int64).tolist()
    expected[name] = {"format": "numpy", "metadata": {},
                      "tensors": [{"name": "", "dtype": dtype, "shape": list(c.shape),
                                   "values": values}]}


save_npy("f4.npy", rng.standard_normal((2, 3)).astype("<f4"))
save_npy("f8_fortran.npy", np.asfortranarray(rng.standard_normal((3, 4))))
save_npy("f4_fortran_3d.npy", np.asfortranarray(rng.standard_normal((2, 3, 4)).astype("<f4")))
save_npy("f2.npy", rng.standard_normal(5).astype("<f2"))
save_npy("i8_big_endian.npy", np.array([[1, -2, 3], [2**40, -(2**50), 0]], dtype=">i8"))
save_npy("f4_big_endian.npy", rng.standard_normal(4).astype(">f4"))
save_npy("i4.npy", np.array([-7, 8, 2**31 - 1], dtype="<i4"))
save_npy("i2.npy", np.array([-7, 300], dtype="<i2"))
save_npy("i1.npy", np.array([-128, 5, 127], dtype="|i1"))
save_npy("u1.npy", np.arange(0, 250, 25, dtype="|u1").reshape(2, 5))
save_npy("b1.npy", np.array([True, False, False, True]))
save_npy("scalar_f4.npy", np.array(1.5, dtype="<f4"))

expected["generator"] = {
    "command": COMMAND, "seed": SEED, "python": sys.version.split()[0],
    "torch": torch.__version__, "numpy": np.__version__, "safetensors": safetensors.__version__,
}
with open(os.path.join(HERE, "expected.json"), "w") as handle:
    json.dump(expected, handle, indent=1, sort_keys=True)
    handle.write("\n")
print(json.dumps(expected["generator"]))
