# Sourced by the CPU benchmarks on yolo-fastest-1.1 (bench/e2e-cpu.sh, bench/ttfd-cpu.sh): the darkrt
# build (BUILD=dir, default build) and the real weights in ../shared, checked once.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
DARKRT="$ROOT/$BUILD/darkrt"
M="$ROOT/../shared/models/yolo-fastest-1.1"
CFG="$M/yolo-fastest-1.1.cfg" WEIGHTS="$M/yolo-fastest-1.1.weights"
[ -x "$DARKRT" ] || { echo "$(basename "$0" .sh): no $DARKRT (make first)" >&2; exit 1; }
