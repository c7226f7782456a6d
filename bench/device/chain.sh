#!/usr/bin/env bash
# Runs several device calls (bench/device/next/callX.sh) in one `run`, so that the machine's start is paid once and
# no call waits in the 30 s warm window:
#   CALL_COMMIT=<commit> LIMIT=<s> bash bench/device/chain.sh R G ...
# Each call writes into /tmp/chain/<X>/ (its own $OUT); after every call the whole tree is packed into
# $OUT/chain.tgz (the device returns at most 8 files) and the calls' logs into $OUT/chain.log, so what ran comes back
# even when the run is cut at its limit. A call starts only when NEED_<X> seconds (default 300) are left of LIMIT
# (default 580). After call R, any golden test that did not pass stops the chain: the numbers of later calls would
# come from a broken CUDA path.
set -u
ROOT_OUT=$OUT
T0=$(date +%s)
LIMIT=${LIMIT:-580}
mkdir -p /tmp/chain
pack() {
    tar -C /tmp/chain -czf "$ROOT_OUT/chain.tgz.part" . && mv "$ROOT_OUT/chain.tgz.part" "$ROOT_OUT/chain.tgz"
    cat /tmp/chain/*/call*.log >"$ROOT_OUT/chain.log" 2>/dev/null
}
for c in "$@"; do
    need_var=NEED_$c
    need=${!need_var:-300}
    left=$(( LIMIT - ($(date +%s) - T0) ))
    if (( left < need )); then
        echo "chain: call $c skipped: $left s left, it needs $need" | tee -a /tmp/chain/skipped.txt
        continue
    fi
    mkdir -p "/tmp/chain/$c"
    echo "chain: call $c starts at $(( $(date +%s) - T0 )) s ($left s left)"
    OUT=/tmp/chain/$c timeout -k 5 "$left" bash "bench/device/next/call$c.sh"
    echo "chain: call $c rc=$? at $(( $(date +%s) - T0 )) s"
    pack
    if [[ $c == R ]] && grep -qE 'GOLDEN .* rc=[1-9]|FAIL=[1-9]' /tmp/chain/R/callR.log; then
        echo "chain: a golden test of call R did not pass: later calls not run"
        break
    fi
done
pack
