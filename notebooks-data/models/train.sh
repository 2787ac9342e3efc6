#!/bin/sh
# Retrains the four bundled models (see README.md). Run from the repository root:
#   sh notebooks-data/models/train.sh
# On two cores the runs take about 25, 15, 15 and 4 minutes; they run one after another.
set -e
swift build -c release --product resnet-lesion
BIN=.build/release/resnet-lesion
COMMON="--data mnist-5k --batch-size 64 --lr 0.1 --warmup 1 --schedule cosine --weight-decay 0.0005 --crop-padding 2 --seed 1"
$BIN train --arch resnet --depth 110 --epochs 12 $COMMON \
  --output notebooks-data/models/resnet110.safetensors
$BIN train --arch resnet --depth 110 --epochs 12 $COMMON --stochastic-depth 0.5 \
  --output notebooks-data/models/resnet110-stochastic-depth.safetensors
$BIN train --arch resnet --depth 110 --epochs 15 $COMMON --active-blocks 23 --zero-init-residual \
  --output notebooks-data/models/resnet110-short-paths.safetensors
$BIN train --arch vgg --widths 16,32,64 --blocks-per-stage 5,5,4 --epochs 12 $COMMON \
  --output notebooks-data/models/plain.safetensors
