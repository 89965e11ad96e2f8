#!/usr/bin/env bash
# The paper's CLIP ablation at our scale, one run at a time (each run is a full `fusionrs train-clip`):
#   bash training/clip_ablation.sh DATA OUT_ROOT [extra train-clip args, e.g. --epochs 8]
set -euo pipefail
data=${1:?dataset folder or Hub id}; root=${2:?output root}; shift 2
# most telling comparisons first, so a cut-short ablation still answers them
runs=("rgb_only --mode rgb_only" "trimodal --mode trimodal" "trimodal_scene_text --mode trimodal --ir-text captions"
      "dual_text --mode dual_text" "trimodal_fused --mode trimodal_fused")
for run in "${runs[@]}"; do
  name=${run%% *}; args=${run#* }
  [ -f "$root/$name/training_summary.json" ] && continue  # resumable: finished runs are kept
  "${FUSIONRS:-fusionrs}" train-clip --data "$data" --out "$root/$name" --preset small $args "$@"
done
"${PYTHON:-python}" - "$root" <<'PY'
import sys
from pathlib import Path
from fusionrs_hf.training.clip import ablation_table
root = Path(sys.argv[1])
print(ablation_table(sorted(p.parent for p in root.glob("*/training_summary.json"))))
PY
