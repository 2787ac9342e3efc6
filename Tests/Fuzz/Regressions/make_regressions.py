#!/usr/bin/env python3
"""Writes the regression inputs of issue 12 (the inputs that crashed or blew up memory before
the fix), in the fuzz targets' input formats. Run from this folder.

Inputs found by fuzzing are added to the same folders as libFuzzer wrote them.
"""
import gzip, io, json, os, struct, tarfile, zlib


def put(target, name, data):
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, name), "wb") as f:
        f.write(data)


# tar: a pax record length of 2^63 - 1 trapped on `index + length` (exit 132).
record = b"9223372036854775807 path=x\n"
info = tarfile.TarInfo("PaxHeader")
info.type = tarfile.XHDTYPE
info.size = len(record)
tar = info.tobuf(format=tarfile.USTAR_FORMAT) + record + b"\0" * (-len(record) % 512) + b"\0" * 1024
put("tar", "pax-length-overflow.tar", tar)

# inflate: 4 MiB of zeros in a 4 KB gzip file (the fuzz target's limit is 1 MiB).
compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
put("inflate", "zeros-4MiB.gz", compressor.compress(b"\0" * (4 << 20)) + compressor.flush())

# idx: a gzipped IDX header declaring 10,000 images followed by 4 MiB of zeros (was read whole).
compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
body = struct.pack(">IIII", 0x803, 10000, 28, 28) + b"\0" * (4 << 20)
put("idx", "declared-10000-images-4MiB.gz", b"\x01" + compressor.compress(body) + compressor.flush())
put("idx", "huge-dimensions", b"\x01" + struct.pack(">IIII", 0x803, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF))

# metadata: configurations that allocated the whole network before any check (23.7 GB, abort).
base = json.load(open("../Corpus/metadata/configuration.json"))
for name, change in (("blocks-1e9.json", {"blocksPerStage": [1000000000, 18]}),
                     ("width-2p31.json", {"stageWidths": [2147483648, 32]}),
                     ("input-2p40.json", {"inputHeight": 1 << 40}),
                     ("width-2p62.json", {"stageWidths": [4, 1 << 62]})):
    put("metadata", name, json.dumps(dict(base, **change), sort_keys=True).encode())
model = open("../Corpus/metadata/tiny-model.safetensors", "rb").read()
n = struct.unpack("<Q", model[:8])[0]
header = json.loads(model[8:8 + n])
arch = json.loads(header["__metadata__"]["architecture"])
arch["blocksPerStage"] = [1000000000, 1]
header["__metadata__"]["architecture"] = json.dumps(arch, sort_keys=True, separators=(",", ":"))
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
put("metadata", "model-blocks-1e9.safetensors", struct.pack("<Q", len(text)) + text + model[8 + n:])
