# Sourced by a device call script (bench/device/next/callX.sh): the bundle's environment, then
#   call_start NAME   the call's log $OUT/NAME.log opened with the date, the GPU and the commit the binaries
#                     were built from (CALL_COMMIT: the device's own .git is stale);
#   el TEXT           a line with the seconds since call_start, to the terminal and the log.
source .devcarry/env.sh
call_start() {
    LOG=$OUT/$1.log
    T0=$(date +%s)
    { date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; echo "binaries from main at ${CALL_COMMIT:-?}"; } >>"$LOG"
}
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$LOG"; }
