#!/usr/bin/env bash
# The CUDA backend's check on a machine with an NVIDIA GPU (issue #11), in one run of under
# 8 minutes: every op against the CPU backend on random inputs, every fixture family's golden
# cases on the GPU (greedy tokens must equal transformers'), and decode tokens/s of a
# random-weight model with Qwen2-VL-2B's shapes at 1 and 16 streams against the GPU's memory
# bandwidth. Writes its report (Markdown) to the file given; exits 1 if an op or a case fails.
#
#   backends/cuda/gpu-bundle.sh              # where Java and Maven are: builds the bundle
#   backends/cuda/gpu-check.sh REPORT.md     # on the GPU machine (needs no Java)
#
# CUDA 13's cudart, cuBLAS and NVRTC are taken from the library path, or else from NVIDIA's
# Python wheels (site-packages/nvidia/*/lib).
set -euo pipefail
REPORT=$(realpath -m "${1:?usage: gpu-check.sh REPORT.md}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUNDLE=${IRIS_GPU_BUNDLE:-$ROOT/backends/cuda/target/gpu-bundle}
WORK=${IRIS_GPU_WORK:-${TMPDIR:-/tmp}/iris-gpu-check}
mkdir -p "$WORK"
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  JAVA=$JAVA_HOME/bin/java
else
  [ -x "$WORK/jre/bin/java" ] || tar -C "$WORK" -xzf "$BUNDLE/jre.tar.gz"
  JAVA=$WORK/jre/bin/java
fi
wheel_libs=$(python3 - <<'PY' 2>/dev/null || true
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
dirs = sorted({d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "**", "lib"), recursive=True)
               if glob.glob(os.path.join(d, "lib*.so*"))})
print(":".join(dirs))
PY
)
export LD_LIBRARY_PATH=${wheel_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export IRIS_CUDA_CACHE=${IRIS_CUDA_CACHE:-$WORK/kernels}
cd "$ROOT"
exec timeout 470 "$JAVA" -Xmx32g --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "$BUNDLE/lib/*" dev.iris.bench.GpuCheck "$REPORT" "$ROOT/testdata" \
  "$ROOT/bench/configs/qwen2-vl-2b-instruct.config.json" "$WORK/qwen2-vl-2b-random"
