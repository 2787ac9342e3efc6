#!/usr/bin/env python3
"""Writes the small seed corpus of the fuzz targets (Tests/Fuzz/Corpus/<target>/).

Run from this folder: python3 make_corpus.py. Every file is a few hundred bytes to a few KB.
"""
import gzip, io, json, os, struct, tarfile, zlib
import numpy as np


def put(target, name, data):
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, name), "wb") as f:
        f.write(data)


# inflate: raw deflate at three levels, gzip with name/comment/extra flags, two members.
text = b"the quick brown fox jumps over the lazy dog " * 20
for level in (0, 1, 9):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    put("inflate", f"raw-level{level}.deflate", c.compress(text) + c.flush())
put("inflate", "plain.gz", gzip.compress(text, mtime=0))
put("inflate", "two-members.gz", gzip.compress(b"abc", mtime=0) + gzip.compress(b"def", mtime=0))
put("inflate", "zeros.gz", gzip.compress(b"\0" * 100000, mtime=0))
header = b"\x1f\x8b\x08\x1e\0\0\0\0\0\xff" + b"\x02\0ab" + b"name\0" + b"comment\0"
c = zlib.compressobj(6, zlib.DEFLATED, -15)
body = c.compress(b"flags") + c.flush()
put("inflate", "flags.gz", header + body + struct.pack("<II", zlib.crc32(b"flags"), 5))

# tar: ustar, gnu long name, pax header.
for fmt, name in ((tarfile.USTAR_FORMAT, "ustar.tar"), (tarfile.GNU_FORMAT, "gnu.tar"), (tarfile.PAX_FORMAT, "pax.tar")):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for path, data in (("cifar-10-batches-bin/test_batch.bin", b"\x01" + b"\x02" * 3072), (("d/" + "long" * 30) if fmt != tarfile.USTAR_FORMAT else "d/x", b"x")):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    put("tar", name, buffer.getvalue())


def idx(magic, shape, data):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in shape) + data


# idx: control byte (bit 0: images, bit 1: record limit in bits 2-7), then the file.
images = idx(0x803, (3, 4, 4), bytes(range(48)))
labels = idx(0x801, (3,), bytes([0, 1, 9]))
put("idx", "images", b"\x01" + images)
put("idx", "images-limit2", bytes([1 | 2 | (2 << 2)]) + images)
put("idx", "images.gz", b"\x01" + gzip.compress(images, mtime=0))
put("idx", "labels", b"\x00" + labels)
put("idx", "labels.gz", b"\x02" + gzip.compress(labels, mtime=0))

# cifar: two CIFAR-100 records and one CIFAR-10 record.
put("cifar", "cifar100-2", bytes([3, 40]) + bytes(3072) + bytes([19, 99]) + bytes([255] * 3072))
put("cifar", "cifar10-1", bytes([7]) + bytes(range(256)) * 12)

# npyimages: two bytes giving the images file's length, then images.npy and labels.npy.
def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()

for name, array in (("u8-nchw", np.arange(2 * 1 * 3 * 3, dtype=np.uint8).reshape(2, 1, 3, 3)),
                    ("f4-nhwc", np.full((2, 2, 2, 3), 0.5, dtype=np.float32)),
                    ("f8-nhw", np.linspace(0, 1, 8).reshape(2, 2, 2))):
    data = npy(array)
    put("npyimages", name, struct.pack("<H", len(data)) + data + npy(np.array([0, 1], dtype=np.int64)))

# json: safetensors-style headers and edge cases.
for index, text in enumerate([
    '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}',
    '[1, -2.5e-3, true, false, null, "\\u00e9\\n", {"k": [[], {}]}]',
    '{"a": 1, "a": 2}', '"\\ud83d\\ude00"', '1e999', ' [ ] ',
]):
    put("json", f"json{index}", text.encode())

# metadata: a NetworkConfiguration as JSON, and a tiny model file with our metadata.
configuration = {"blocksPerStage": [1, 1], "bottleneck": False, "classCount": 3,
                 "classifierName": "linear", "family": "cifar-resnet", "finalNormalization": True,
                 "inputChannels": 1, "inputHeight": 8, "inputWidth": 8,
                 "projectionHasBatchNorm": True, "projectionName": "shortcut", "shortcut": "A",
                 "stageWidths": [2, 4]}
put("metadata", "configuration.json", json.dumps(configuration, sort_keys=True).encode())
vgg = dict(configuration, family="vgg", blocksPerStage=[2, 1])
put("metadata", "vgg.json", json.dumps(vgg, sort_keys=True).encode())
shapes = {"conv1.weight": [2, 1, 3, 3], "linear.weight": [3, 4], "linear.bias": [3]}
def bn(name, c):
    for suffix in ("weight", "bias", "running_mean", "running_var"):
        shapes[f"{name}.{suffix}"] = [c]
bn("bn1", 2)
for name, cin, w in (("layer1.0", 2, 2), ("layer2.0", 2, 4)):
    shapes[f"{name}.conv1.weight"] = [w, cin, 3, 3]
    shapes[f"{name}.conv2.weight"] = [w, w, 3, 3]
    bn(f"{name}.bn1", w)
    bn(f"{name}.bn2", w)
header = {"__metadata__": {"format": "resnet-lesion-model", "format_version": "1",
                           "architecture": json.dumps(configuration, sort_keys=True, separators=(",", ":"))}}
payload = b""
for name in sorted(shapes):
    count = int(np.prod(shapes[name]))
    values = np.ones(count, dtype=np.float32) * (0.5 if "running_var" in name else 0.1)
    header[name] = {"dtype": "F32", "shape": shapes[name], "data_offsets": [len(payload), len(payload) + 4 * count]}
    payload += values.tobytes()
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
put("metadata", "tiny-model.safetensors", struct.pack("<Q", len(text)) + text + payload)
