#!/usr/bin/env bash
# Deep Incubation's separate-machine workflow on one machine: the meta model,
# then the K modules side by side (each its own job on its own GPUs, or as
# CPU processes, no communication between them), then assembly and
# fine-tuning.
#
#   bash tools/dist_incubate.sh CONFIG GPUS_PER_MODULE [train.py args ...]
#
# The args go to every training job (e.g. --cfg-options ...). Environment:
#   WORK_ROOT        where the jobs write (default work_dirs/<config>_split):
#                    meta/, module_<i>/, assembled.pth, finetune/, logs/
#   META_CHECKPOINT  a trained meta model: skip the meta job
#   NUM_MODULES      K, if the args change it (default: read from CONFIG)
#   PORT             first rendezvous port (default 29500; module i: PORT+1+i)
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash tools/dist_incubate.sh CONFIG GPUS_PER_MODULE [args...]" >&2; exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  if [ -z "${VIRTUAL_ENV:-}" ] && [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi
export PYTHON
NAME=$(basename "$CONFIG" .py)
WORK_ROOT=$(realpath -m "${WORK_ROOT:-work_dirs/${NAME}_split}")
PORT=${PORT:-29500}
# K (from CONFIG unless NUM_MODULES is set) and the GPUs: one interpreter
read -r K NUM_GPUS < <(PYTHONPATH="$ROOT:${PYTHONPATH:-}" "$PYTHON" -c '
import sys
import torch
if sys.argv[2]:
    k = sys.argv[2]
else:
    from mmengine.config import Config
    from mmincubate.num_modules import num_modules_of
    k = num_modules_of(Config.fromfile(sys.argv[1]).model)
print(k, torch.cuda.device_count())' "$CONFIG" "${NUM_MODULES:-}") \
  || { echo "error: could not read the number of modules from $CONFIG" >&2; exit 2; }
if [ "$NUM_GPUS" -gt 0 ] && [ "$NUM_GPUS" -lt $((K * GPUS)) ]; then
  echo "error: $K modules x $GPUS GPUs need $((K * GPUS)) GPUs; this machine has $NUM_GPUS." \
       "Use fewer GPUS_PER_MODULE, or the sequential mode in one job." >&2
  exit 2
fi
mkdir -p "$WORK_ROOT/logs"
train() {  # train PORT WORK_DIR [args...]
  local port=$1 dir=$2
  shift 2
  PORT=$port bash "$ROOT/tools/dist_train.sh" "$CONFIG" "$GPUS" --work-dir "$dir" "$@"
}

if [ -n "${META_CHECKPOINT:-}" ]; then
  META=$(realpath "$META_CHECKPOINT")
  echo "== meta model: $META (given)"
else
  echo "== meta model -> $WORK_ROOT/meta (log: logs/meta.log)"
  train "$PORT" "$WORK_ROOT/meta" --phases meta "$@" > "$WORK_ROOT/logs/meta.log" 2>&1 \
    || { tail -n 30 "$WORK_ROOT/logs/meta.log" >&2; echo "error: the meta job failed" >&2; exit 1; }
  META="$WORK_ROOT/meta/meta.pth"
fi

echo "== $K modules side by side, $GPUS GPU(s) or process(es) each"
pids=()
for ((i = 0; i < K; i++)); do
  devices=""
  if [ "$NUM_GPUS" -gt 0 ]; then
    devices=$(seq -s, $((i * GPUS)) $((i * GPUS + GPUS - 1)))
  fi
  (
    if [ -n "$devices" ]; then export CUDA_VISIBLE_DEVICES=$devices; fi
    train $((PORT + 1 + i)) "$WORK_ROOT/module_$i" --phases incubate --modules "$i" "$@" \
      --cfg-options model.meta_checkpoint="$META"
  ) > "$WORK_ROOT/logs/module_$i.log" 2>&1 &
  pids+=($!)
  echo "   module $i: pid $!${devices:+, GPUs $devices}, log: logs/module_$i.log"
done
failed=0
for ((i = 0; i < K; i++)); do
  if ! wait "${pids[$i]}"; then
    tail -n 30 "$WORK_ROOT/logs/module_$i.log" >&2
    echo "error: the job of module $i failed" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1

echo "== assembly -> $WORK_ROOT/assembled.pth"
modules=()
for ((i = 0; i < K; i++)); do modules+=("$WORK_ROOT/module_$i/module_$i.pth"); done
PYTHONPATH="$ROOT:${PYTHONPATH:-}" "$PYTHON" "$ROOT/tools/assemble.py" "${modules[@]}" --out "$WORK_ROOT/assembled.pth"

echo "== fine-tuning -> $WORK_ROOT/finetune (log: logs/finetune.log)"
train "$PORT" "$WORK_ROOT/finetune" --phases finetune "$@" \
  --cfg-options model.target_checkpoint="$WORK_ROOT/assembled.pth" > "$WORK_ROOT/logs/finetune.log" 2>&1 \
  || { tail -n 30 "$WORK_ROOT/logs/finetune.log" >&2; echo "error: the fine-tuning job failed" >&2; exit 1; }
echo "== done: $WORK_ROOT/finetune/final.pth"
