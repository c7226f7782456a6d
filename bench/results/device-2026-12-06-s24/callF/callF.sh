#!/usr/bin/env bash
# Device call F (session 24): golden/cuda-int8-map alone on the bundle of af782aa's code (session 23's review mends,
# rel_diff and zp_array, had not run on a GPU; its sym hand-off line had failed once in session 23's call B).
# Ran as the run command itself: carry [".devcarry"], timeout_s 500.
source bench/device/call-lib.sh; call_start callF; golden_run cuda-int8-map 470; grep -E '^(ok|FAIL)' $OUT/cuda-int8-map.txt | cut -c1-260
