#!/usr/bin/env python3
"""Compares two `darkrt run -o` head dumps: the worst max|diff| / max|ref| over the heads listed ("head N: C H W")
in the reference run's output. Used by bench/device/layers-a.sh, layers-b.sh and darknet-smoke.sh.
    heads-compare.py PREFIX REF_TXT REF_F32 GOT_F32 LABEL TOL
Prints "PREFIX ok|FAIL LABEL: N heads, worst ... (limit TOL)"; exit 0 when within TOL."""
import sys

import numpy as np

prefix, ref_txt, ref_f32, got_f32, label, tol = sys.argv[1:7]
shapes = [tuple(int(v) for v in l.split(":")[1].split()) for l in open(ref_txt) if l.startswith("head ")]
ref, got = np.fromfile(ref_f32, np.float32), np.fromfile(got_f32, np.float32)
worst, off = 0.0, 0
for s in shapes:
    n = int(np.prod(s))
    r, g = ref[off:off + n], got[off:off + n]
    off += n
    worst = max(worst, float(np.abs(r - g).max() / max(np.abs(r).max(), 1e-30)) if g.size == n else float("inf"))
ok = ref.size == got.size and worst <= float(tol) and len(shapes) > 0
print("%s %s %s: %d heads, worst max|diff|/max|ref| %.3g (limit %s)" % (prefix, "ok  " if ok else "FAIL", label,
                                                                       len(shapes), worst, tol))
sys.exit(0 if ok else 1)
