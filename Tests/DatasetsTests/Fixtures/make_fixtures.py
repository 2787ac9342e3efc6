#!/usr/bin/env python3
"""Regenerates the fixtures of the DatasetsTests target (deterministic; run from anywhere).

    python3 Tests/DatasetsTests/Fixtures/make_fixtures.py

Needs Python 3 (zlib, gzip), GNU tar and gzip on PATH. Test data is produced by SplitMix64
so that the Swift tests can regenerate the expected bytes instead of storing them:

  deflate/*.deflate, deflate/*.gz   Python zlib raw DEFLATE and gzip.compress output of
                                    generated data, listed in deflate/manifest.json
  tools/                            files made by the gzip and tar programs
  cifar/                            tiny CIFAR-10 / CIFAR-100 archives in the official layout

Generators (all with SplitMix64, seed given per case):
  random: byte i = next() & 0xFF
  text:   words WORDS[next() % 16] joined by " ", a "\n" after every 10th word, cut to size
  runs:   runs of byte (next() % 4) + 0x41, run length next() % 300 + 1, cut to size
"""
import gzip
import json
import os
import shutil
import subprocess
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MASK = (1 << 64) - 1
WORDS = [
    "residual", "network", "lesion", "block", "path", "ensemble", "layer", "delete",
    "reorder", "test", "time", "accuracy", "the", "of", "a", "and",
]


def splitmix64(seed):
    state = seed & MASK
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def generate(kind, size, seed):
    rng = splitmix64(seed)
    if kind == "random":
        return bytes(next(rng) & 0xFF for _ in range(size))
    out = bytearray()
    if kind == "text":
        count = 0
        while len(out) < size:
            out += WORDS[next(rng) % 16].encode()
            count += 1
            out += b"\n" if count % 10 == 0 else b" "
    elif kind == "runs":
        while len(out) < size:
            value = next(rng) % 4 + 0x41
            out += bytes([value]) * (next(rng) % 300 + 1)
    return bytes(out[:size])


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def deflate_cases():
    folder = os.path.join(HERE, "deflate")
    shutil.rmtree(folder, ignore_errors=True)
    cases = []
    plan = []
    for size in [0, 1, 1000, 4000]:
        for level in [0, 1, 6, 9]:
            plan.append(("random", size, level, zlib.Z_DEFAULT_STRATEGY, "default"))
    for size in [1, 1000, 8000]:
        for level in [0, 1, 6, 9]:
            plan.append(("text", size, level, zlib.Z_DEFAULT_STRATEGY, "default"))
    for level in [1, 6, 9]:
        plan.append(("text", 60000, level, zlib.Z_DEFAULT_STRATEGY, "default"))
        plan.append(("runs", 100000, level, zlib.Z_DEFAULT_STRATEGY, "default"))
    for strategy, name in [(zlib.Z_FIXED, "fixed"), (zlib.Z_HUFFMAN_ONLY, "huffman"), (zlib.Z_RLE, "rle")]:
        plan.append(("text", 5000, 6, strategy, name))
        plan.append(("runs", 50000, 6, strategy, name))
    for index, (kind, size, level, strategy, strategy_name) in enumerate(plan):
        seed = 1000 + index
        data = generate(kind, size, seed)
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
        raw = compressor.compress(data) + compressor.flush()
        name = f"{kind}-{size}-level{level}-{strategy_name}"
        write(os.path.join(folder, name + ".deflate"), raw)
        cases.append({"file": name + ".deflate", "kind": kind, "size": size, "seed": seed,
                      "level": level, "strategy": strategy_name, "crc32": zlib.crc32(data)})
        if strategy_name == "default" and level in (1, 9):
            gz = gzip.compress(data, compresslevel=level, mtime=0)
            write(os.path.join(folder, name + ".gz"), gz)
            cases.append({"file": name + ".gz", "kind": kind, "size": size, "seed": seed,
                          "level": level, "strategy": strategy_name, "crc32": zlib.crc32(data)})
    manifest = {"zlib": zlib.ZLIB_RUNTIME_VERSION, "words": WORDS, "cases": cases}
    write(os.path.join(folder, "manifest.json"), (json.dumps(manifest, indent=1) + "\n").encode())


def run(arguments, cwd, stdout=None):
    subprocess.run(arguments, cwd=cwd, check=True, stdout=stdout,
                   env=dict(os.environ, LC_ALL="C", TZ="UTC", GZIP=""))


TAR_COMMON = ["--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "--sort=name"]


def tool_cases():
    folder = os.path.join(HERE, "tools")
    shutil.rmtree(folder, ignore_errors=True)
    work = os.path.join(folder, "work")
    tree = os.path.join(work, "tree")
    long_dir = "d" * 60 + "/" + "e" * 60  # 121 characters: ustar needs its prefix field
    long_file = "f" * 130 + ".txt"  # a 130-character name: GNU 'L' or pax 'path'
    write(os.path.join(tree, "hello.txt"), b"hello, world\n")
    write(os.path.join(tree, "empty.bin"), b"")
    write(os.path.join(tree, "sub", "random.bin"), generate("random", 1000, 7))
    write(os.path.join(tree, "sub", "block.bin"), generate("text", 512, 8))
    write(os.path.join(tree, long_dir, "deep.txt"), b"deep\n")
    for path in [tree] + [os.path.join(d, n) for d, dirs, files in os.walk(tree) for n in dirs + files]:
        os.utime(path, (0, 0))
    run(["tar", "--format=ustar", *TAR_COMMON, "-cf", "../tree-ustar.tar", "tree"], cwd=work)
    write(os.path.join(tree, "long", long_file), b"long name\n")
    run(["tar", "--format=gnu", *TAR_COMMON, "-cf", "../tree-gnu.tar", "tree"], cwd=work)
    run(["tar", "--format=pax", *TAR_COMMON, "--pax-option=delete=atime,delete=ctime",
         "-cf", "../tree-pax.tar", "tree"], cwd=work)
    with open(os.path.join(folder, "tree-gnu.tar.gz"), "wb") as out:
        run(["gzip", "-9", "-n", "-c", "tree-gnu.tar"], cwd=folder, stdout=out)
    os.remove(os.path.join(folder, "tree-gnu.tar"))
    # gzip with a stored file name and mtime (FNAME), fast and best levels, and two members.
    text = generate("text", 30000, 9)
    write(os.path.join(work, "words.txt"), text)
    os.utime(os.path.join(work, "words.txt"), (1000000000, 1000000000))  # gzip stores no mtime 0
    for level in ["-1", "-9"]:
        with open(os.path.join(folder, f"words{level}.txt.gz"), "wb") as out:
            run(["gzip", level, "-N", "-c", "words.txt"], cwd=work, stdout=out)
    with open(os.path.join(folder, "two-members.gz"), "wb") as out:
        run(["gzip", "-n", "-c", "tree/hello.txt"], cwd=work, stdout=out)
        run(["gzip", "-n", "-c", "tree/sub/random.bin"], cwd=work, stdout=out)
    shutil.rmtree(work)
    version = subprocess.run(["gzip", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    tar_version = subprocess.run(["tar", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    write(os.path.join(folder, "VERSIONS.txt"), f"{version}\n{tar_version}\n".encode())


def cifar_record(label_bytes, seed):
    return bytes(label_bytes) + generate("random", 3072, seed)


def cifar_cases():
    """Tiny CIFAR archives: 3 records per batch; record r of a batch has label (r + batch) % 10
    (CIFAR-100: coarse label fine % 20, fine label (7 * r + batch) % 100) and random pixels."""
    folder = os.path.join(HERE, "cifar")
    shutil.rmtree(folder, ignore_errors=True)
    work = os.path.join(folder, "work")
    c10 = os.path.join(work, "cifar-10-batches-bin")
    names = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]
    for batch, name in enumerate(names):
        records = b"".join(cifar_record([(r + batch) % 10], 100 * batch + r) for r in range(3))
        write(os.path.join(c10, name + ".bin"), records)
    write(os.path.join(c10, "batches.meta.txt"),
          b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n")
    c100 = os.path.join(work, "cifar-100-binary")
    for batch, name in enumerate(["train", "test"]):
        records = b"".join(
            cifar_record([((7 * r + batch) % 100) % 20, (7 * r + batch) % 100], 500 + 100 * batch + r)
            for r in range(3))
        write(os.path.join(c100, name + ".bin"), records)
    write(os.path.join(c100, "fine_label_names.txt"),
          "".join(f"class{index:02d}\n" for index in range(100)).encode())
    write(os.path.join(c100, "coarse_label_names.txt"),
          "".join(f"super{index:02d}\n" for index in range(20)).encode())
    for path in [os.path.join(d, n) for d, dirs, files in os.walk(work) for n in dirs + files]:
        os.utime(path, (0, 0))
    for source, archive in [("cifar-10-batches-bin", "cifar-10-binary"), ("cifar-100-binary", "cifar-100-binary")]:
        run(["tar", "--format=gnu", *TAR_COMMON, "-cf", f"../{archive}.tar", source], cwd=work)
        with open(os.path.join(folder, f"{archive}.tar.gz"), "wb") as out:
            run(["gzip", "-9", "-n", "-c", f"{archive}.tar"], cwd=folder, stdout=out)
        os.remove(os.path.join(folder, f"{archive}.tar"))
    shutil.rmtree(work)


if __name__ == "__main__":
    deflate_cases()
    tool_cases()
    cifar_cases()
