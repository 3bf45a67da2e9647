#!/usr/bin/env bash
# Set up mmincubate in a virtual environment inside the checkout, then verify it.
#
#   bash tools/install.sh            # creates ./.venv (or $MMINCUBATE_VENV)
#
# Order matters: torch/torchvision (the index's pair) -> build tools -> mmcv
# compiled with ops against that torch -> the OpenMMLab libraries -> this
# package (editable) -> verification. Each step is skipped when what it
# installs is already there, so a second run takes seconds. Every failing step
# stops the script with its reason.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMINCUBATE_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"
REQ="$ROOT/requirements"
CONSTRAINTS=(-c "$REQ/constraints.txt")

step() { printf '\n== [install] %s\n' "$*"; }
fail() { printf '\n!! [install] FAILED: %s\n' "$*" >&2; exit 1; }

step "virtual environment at $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON_BIN" - <<'PY' || fail "Python 3.10-3.13 is required (torch 2.13 wheels); set PYTHON=/path/to/python3.x"
import sys
sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)
PY
  "$PYTHON_BIN" -m venv "$VENV" || fail "could not create the virtual environment (install python3-venv)"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

step "torch 2.13.0 + torchvision 0.28.0 (the index's pair)"
if "$PY" - <<'PY' 2>/dev/null
import torch, torchvision
assert torch.__version__.split('+')[0] == '2.13.0', torch.__version__
assert torchvision.__version__.split('+')[0] == '0.28.0', torchvision.__version__
# A torch that pairs with no torchvision fails here ("torchvision::nms does not exist").
torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)
PY
then
  echo "already installed"
else
  "${PIP[@]}" install "${CONSTRAINTS[@]}" -r "$REQ/torch.txt" -r "$REQ/build.txt" \
    || fail "pip could not install torch/torchvision from the package index"
fi

step "build tools (setuptools<82, wheel)"
"$PY" -c "import setuptools, wheel, sys; sys.exit(int(setuptools.__version__.split('.')[0]) >= 82)" 2>/dev/null \
  && echo "already installed" \
  || "${PIP[@]}" install "${CONSTRAINTS[@]}" -r "$REQ/build.txt" || fail "could not install the build tools"

mmcv_ok() {
  "$PY" - <<'PY' 2>/dev/null
import mmcv
assert mmcv.__version__ == '2.1.0', mmcv.__version__
from mmcv.ops import nms, roi_align  # noqa: F401  (needs the compiled ops)
PY
}
step "mmcv 2.1.0 with compiled ops (first build: about 13 minutes on 2 cores)"
if mmcv_ok; then
  echo "already installed"
else
  export MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}"
  "${PIP[@]}" install --no-build-isolation "${CONSTRAINTS[@]}" -r "$REQ/mmcv.txt" \
    || fail "mmcv 2.1.0 did not build; see the compiler output above"
  if ! mmcv_ok; then
    # A wheel cached from a build against another torch, or one built without
    # ops: rebuild it from source once, bypassing pip's cache.
    echo "mmcv ops do not load; rebuilding mmcv without pip's cache"
    "${PIP[@]}" install --no-build-isolation --no-cache-dir --force-reinstall --no-deps \
      "${CONSTRAINTS[@]}" -r "$REQ/mmcv.txt" || fail "mmcv rebuild failed"
    mmcv_ok || fail "mmcv installed but mmcv.ops does not import"
  fi
fi

step "OpenMMLab libraries, timm and test tools"
"${PIP[@]}" install "${CONSTRAINTS[@]}" -r "$REQ/runtime.txt" -r "$REQ/tests.txt" \
  || fail "pip could not install the runtime requirements"

step "mmincubate (editable)"
# (checked from / so that the checkout itself is not on sys.path)
if (cd / && "$PY" -c "import mmincubate, os, sys; sys.exit(0 if os.path.dirname(os.path.dirname(os.path.abspath(mmincubate.__file__))) == sys.argv[1] else 1)" "$ROOT") 2>/dev/null; then
  echo "already installed"
else
  "${PIP[@]}" install "${CONSTRAINTS[@]}" --no-deps --no-build-isolation -e "$ROOT" \
    || fail "pip install -e . failed"
fi

step "verification"
"$PY" "$ROOT/tools/verify_env.py" || fail "the environment does not work; see the message above"
printf '\n== [install] done: activate with  source %s/bin/activate\n' "$VENV"
