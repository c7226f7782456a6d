#!/usr/bin/env bash
# The GPU end-to-end headline from a results.txt of bench/e2e-gpu.sh: one SUMMARY line per model and
# darkrt detect's --decode (and the PyTorch peer): the whole-process img/s of each round, and darkrt's
# best over PyTorch's best (best_vs_torch). Appended to the file (and printed) unless it has them already
# (bench/device/e2e.sh calls it again after a run its timeout cut short).
#   bench/e2e-summary.sh RESULTS_TXT
set -u
RES=${1:?RESULTS_TXT}
grep -q '^SUMMARY ' "$RES" && exit 0
awk '/^RESULT engine=darkrt-detect / || /^RESULT engine=torch / {
    m = ""; d = "torch"; r = ""
    for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "model" || kv[1] == "label") m = kv[2]; if (kv[1] == "decode") d = kv[2]; if (kv[1] == "img_per_s") r = kv[2] }
    k = m " " d; v[k] = v[k] (v[k] == "" ? "" : ",") sprintf("%.0f", r); if (r > best[k]) best[k] = r; models[m] = 1; decs[d] = 1 }
END { for (m in models) for (d in decs) if ((m " " d) in v) {
        t = best[m " torch"]; x = d != "torch" && t > 0 ? sprintf(" best_vs_torch=%.2fx", best[m " " d] / t) : ""
        printf("SUMMARY model=%s %s img_per_s=%s%s\n", m, d == "torch" ? "engine=torch" : "engine=darkrt-detect decode=" d, v[m " " d], x) } }'  "$RES" | sort >"$RES.summary"
cat "$RES.summary"
cat "$RES.summary" >>"$RES"
rm -f "$RES.summary"
