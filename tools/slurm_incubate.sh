#!/usr/bin/env bash
# Deep Incubation on a Slurm cluster as independent jobs: the meta model, then
# the K modules as a job array that starts after it, then assembly and
# fine-tuning after all K (sbatch --dependency=afterok). Prints the job ids.
#
#   bash tools/slurm_incubate.sh PARTITION CONFIG GPUS_PER_JOB [train.py args ...]
#
# The args go to every training job. Environment:
#   WORK_ROOT      where the jobs write (default work_dirs/<config>_slurm):
#                  meta/, module_<i>/, assembled.pth, finetune/, logs/
#   GPUS_PER_NODE  (default: min(GPUS_PER_JOB, 8)), CPUS_PER_TASK (default 5)
#   SBATCH_ARGS    extra sbatch options, e.g. "--time=3-00:00:00 --qos=high"
#   NUM_MODULES    K, if the args change it (default: read from CONFIG)
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: bash tools/slurm_incubate.sh PARTITION CONFIG GPUS_PER_JOB [args...]" >&2; exit 2
fi
PARTITION=$1
CONFIG=$(realpath "$2")
GPUS=$3
shift 3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  if [ -z "${VIRTUAL_ENV:-}" ] && [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi
NAME=$(basename "$CONFIG" .py)
WORK_ROOT=$(realpath -m "${WORK_ROOT:-work_dirs/${NAME}_slurm}")
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
K=${NUM_MODULES:-$(PYTHONPATH="$ROOT:${PYTHONPATH:-}" "$PYTHON" -c '
import sys
from mmengine.config import Config
from mmincubate.num_modules import num_modules_of
print(num_modules_of(Config.fromfile(sys.argv[1]).model))' "$CONFIG")}
mkdir -p "$WORK_ROOT/logs"

q() { local quoted; quoted=$(printf '%q ' "$@"); printf '%s' "${quoted% }"; }  # shell-quote for --wrap
TRAIN="PYTHONPATH=$(q "$ROOT"):\${PYTHONPATH:-} srun $(q "$PYTHON" -u "$ROOT/tools/train.py" "$CONFIG") --launcher=slurm"
EXTRA=""
[ $# -eq 0 ] || EXTRA=$(q "$@")
# shellcheck disable=SC2206
COMMON=(--parsable -p "$PARTITION" --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS"
        --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="$CPUS_PER_TASK" ${SBATCH_ARGS:-})
job_id() { cut -d';' -f1; }  # --parsable prints ID or ID;CLUSTER

META_JOB=$(sbatch "${COMMON[@]}" --job-name="$NAME-meta" --output="$WORK_ROOT/logs/meta-%j.out" \
  --wrap "$TRAIN --work-dir $(q "$WORK_ROOT/meta") --phases meta $EXTRA" | job_id)

MODULE_JOB=$(sbatch "${COMMON[@]}" --job-name="$NAME-module" --array=0-$((K - 1)) \
  --dependency=afterok:"$META_JOB" --output="$WORK_ROOT/logs/module-%A_%a.out" \
  --wrap "$TRAIN --work-dir $(q "$WORK_ROOT")/module_\${SLURM_ARRAY_TASK_ID} --phases incubate \
--modules \${SLURM_ARRAY_TASK_ID} $EXTRA --cfg-options model.meta_checkpoint=$(q "$WORK_ROOT/meta/meta.pth")" | job_id)

MODULE_FILES=()
for ((i = 0; i < K; i++)); do MODULE_FILES+=("$WORK_ROOT/module_$i/module_$i.pth"); done
FINAL_JOB=$(sbatch "${COMMON[@]}" --job-name="$NAME-finetune" --dependency=afterok:"$MODULE_JOB" \
  --output="$WORK_ROOT/logs/finetune-%j.out" \
  --wrap "PYTHONPATH=$(q "$ROOT"):\${PYTHONPATH:-} $(q "$PYTHON" "$ROOT/tools/assemble.py" "${MODULE_FILES[@]}" \
--out "$WORK_ROOT/assembled.pth") && $TRAIN --work-dir $(q "$WORK_ROOT/finetune") --phases finetune $EXTRA \
--cfg-options model.target_checkpoint=$(q "$WORK_ROOT/assembled.pth")" | job_id)

echo "meta job:                $META_JOB"
echo "module jobs (array 0-$((K - 1))): $MODULE_JOB"
echo "assembly + fine-tuning:  $FINAL_JOB"
echo "work root:               $WORK_ROOT (final model: finetune/final.pth)"
