#!/usr/bin/env python3
"""Writes the hostile inputs of issue 12 into a folder (default ./hostile-inputs).

Used by measure.sh to record exit status, message and peak memory of each case. Everything
is generated from the bundled plain model and from zeros; nothing is downloaded.
Usage: make_hostile.py REPOSITORY_ROOT OUTPUT_FOLDER
"""
import gzip, io, json, os, struct, sys, tarfile, zlib

root, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
GiB = 1 << 30


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def write_safetensors(path, header, payload):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + payload)


header, payload = read_safetensors(os.path.join(root, "notebooks-data/models/resnet110.safetensors"))
architecture = json.loads(header["__metadata__"]["architecture"])


def with_architecture(name, **changes):
    arch = dict(architecture, **changes)
    h = dict(header)
    h["__metadata__"] = dict(header["__metadata__"], architecture=json.dumps(arch))
    write_safetensors(os.path.join(out, name), h, payload)


with_architecture("blocks-1e9.safetensors", blocksPerStage=[1000000000, 18, 18])
with_architecture("widths-2p31.safetensors", stageWidths=[2147483648, 32, 64])
with_architecture("input-2p40.safetensors", inputHeight=1 << 40)


def with_value(name, key, value):
    entry = header[key]
    start = entry["data_offsets"][0]
    data = bytearray(payload)
    data[start:start + 4] = struct.pack("<f", value)
    write_safetensors(os.path.join(out, name), header, bytes(data))


conv = sorted(k for k in header if k.endswith("conv1.weight"))[0]
variance = sorted(k for k in header if k.endswith("running_var"))[0]
with_value("nan-weight.safetensors", conv, float("nan"))
with_value("inf-weight.safetensors", conv, float("inf"))
with_value("negative-variance.safetensors", variance, -1.0)

# Tar with a pax record length of 2^63 - 1, plain and gzipped.
record = b"9223372036854775807 path=x\n"
info = tarfile.TarInfo("PaxHeader")
info.type = tarfile.XHDTYPE
info.size = len(record)
buffer = io.BytesIO()
buffer.write(info.tobuf(format=tarfile.USTAR_FORMAT))
buffer.write(record + b"\0" * (-len(record) % 512))
buffer.write(b"\0" * 1024)
open(os.path.join(out, "pax-overflow.tar"), "wb").write(buffer.getvalue())
open(os.path.join(out, "pax-overflow.tar.gz"), "wb").write(gzip.compress(buffer.getvalue()))


def gzip_zeros(f, size, prefix=b""):
    """One gzip member: `prefix` then zeros up to `size` bytes, compressed in chunks."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    f.write(compressor.compress(prefix))
    chunk = b"\0" * (1 << 24)
    left = size - len(prefix)
    while left > 0:
        f.write(compressor.compress(chunk[:min(left, len(chunk))]))
        left -= min(left, len(chunk))
    f.write(compressor.flush())


# MNIST IDX: a header declaring 10,000 images, then 1 GiB of zeros (1 MB on disk).
mnist = os.path.join(out, "mnist-bomb")
os.makedirs(mnist, exist_ok=True)
with open(os.path.join(mnist, "t10k-images-idx3-ubyte.gz"), "wb") as f:
    gzip_zeros(f, GiB, struct.pack(">IIII", 0x803, 10000, 28, 28))
with open(os.path.join(mnist, "t10k-labels-idx1-ubyte.gz"), "wb") as f:
    gzip_zeros(f, 10000 + 8, struct.pack(">II", 0x801, 10000))


def cifar_bomb(name, members):
    """A CIFAR-10 .tar.gz whose test_batch.bin is 1 GiB of zeros, as `members` gzip members."""
    with open(os.path.join(out, name), "wb") as f:
        size = GiB - (GiB % 3073)
        info = tarfile.TarInfo("cifar-10-batches-bin/test_batch.bin")
        info.size = size
        gzip_zeros(f, 512, info.tobuf(format=tarfile.GNU_FORMAT))
        for member in range(members):
            part = size // members if member < members - 1 else size - (members - 1) * (size // members)
            gzip_zeros(f, part)
        gzip_zeros(f, (-size % 512) + 1024)


cifar_bomb("cifar-bomb.tar.gz", 1)
cifar_bomb("cifar-bomb-4-members.tar.gz", 4)
with open(os.path.join(out, "cifar-bomb-4x1GiB.tar.gz"), "wb") as f:
    # Four 1 GiB members of zeros after a tar header of 4 GiB: the 8.4 GB case.
    size = 4 * GiB
    info = tarfile.TarInfo("cifar-10-batches-bin/test_batch.bin")
    info.size = size - size % 3073
    gzip_zeros(f, 512, info.tobuf(format=tarfile.GNU_FORMAT))
    for _ in range(4):
        gzip_zeros(f, GiB)

# NaN pixels for predict, a bare pickle named .pt.
import numpy as np
pixels = np.zeros((2, 1, 28, 28), dtype=np.float32)
pixels[0, 0, 3, 4] = np.nan
np.save(os.path.join(out, "nan-pixels.npy"), pixels)
import pickle
with open(os.path.join(out, "pickle.pt"), "wb") as f:
    pickle.dump({"conv1.weight": [1.0, 2.0]}, f, protocol=4)
print("wrote", out)
