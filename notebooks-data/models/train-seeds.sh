#!/bin/sh
# Trains the seed replicates behind Fig. 8 and the §5.2 table (see README.md, "Seeds"), one
# after another, into a folder outside the repository (their weights are not committed), then
# records their checksums and results in seeds.json. Run from the repository root:
#   sh notebooks-data/models/train-seeds.sh RUNS_DIR
# Seed 1 of `standard`, `stochastic-depth` and `vgg-bn` is the bundled model (train.sh). On two
# idle cores a ResNet-110 run takes 7–15 minutes; all 19 runs about 3.5 hours.
set -e
RUNS=${1:?usage: sh notebooks-data/models/train-seeds.sh RUNS_DIR}
mkdir -p "$RUNS"
swift build -c release --product resnet-lesion
BIN=.build/release/resnet-lesion
COMMON="--data mnist-5k --batch-size 64 --lr 0.1 --warmup 1 --schedule cosine --weight-decay 0.0005 --crop-padding 2"
RESNET="--arch resnet --depth 110"
VGG="--arch vgg --widths 16,32,64 --blocks-per-stage 5,5,4 --epochs 12"
# Fig. 8: the bundled recipe (12 epochs), seeds 2 and 3.
for seed in 2 3; do
  $BIN train $RESNET --epochs 12 $COMMON --seed $seed --output "$RUNS/resnet110-seed$seed.safetensors"
  $BIN train $RESNET --epochs 12 $COMMON --seed $seed --stochastic-depth 0.5 \
    --output "$RUNS/resnet110-stochastic-depth-seed$seed.safetensors"
done
# §5.2: one matched recipe (15 epochs, zero-init residual branches, batch-norm recalibration) for
# the baseline, active blocks (forward drop) and gradient paths (full forward, backward through 23).
for seed in 1 2 3; do
  $BIN train $RESNET --epochs 15 $COMMON --seed $seed --zero-init-residual --recalibrate-bn \
    --output "$RUNS/resnet110-baseline15-seed$seed.safetensors"
  $BIN train $RESNET --epochs 15 $COMMON --seed $seed --active-blocks 23 --zero-init-residual \
    --output "$RUNS/resnet110-short-paths-seed$seed.safetensors"
  $BIN train $RESNET --epochs 15 $COMMON --seed $seed --gradient-paths 23 --zero-init-residual --recalibrate-bn \
    --output "$RUNS/resnet110-gradient-paths-seed$seed.safetensors"
done
# VGG without batch norm (the paper's plain net; lr 0.02, see README.md) and the bundled plain recipe.
for seed in 1 2 3; do
  $BIN train $VGG --no-bn --lr 0.02 --data mnist-5k --batch-size 64 --warmup 1 --schedule cosine \
    --weight-decay 0.0005 --crop-padding 2 --seed $seed --output "$RUNS/vgg-nobn-seed$seed.safetensors"
done
for seed in 2 3; do
  $BIN train $VGG $COMMON --seed $seed --output "$RUNS/vgg-bn-seed$seed.safetensors"
done
python3 notebooks-data/models/update_seeds.py "$RUNS"
