"""Darknet .cfg reading shared by the peers (no torch, no numpy needed)."""

ALIASES = {"conv": "convolutional", "network": "net", "max": "maxpool", "avg": "avgpool"}


def parse_cfg(path):
    """The cfg as a list of (section name, {key: value text}, line number)."""
    sections = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                if not line.endswith("]"):
                    raise ValueError(f"{path}:{lineno}: section header must end with ']'")
                name = line[1:-1].strip().lower()
                sections.append((ALIASES.get(name, name), {}, lineno))
                continue
            if "=" not in line:
                raise ValueError(f"{path}:{lineno}: expected key=value")
            if not sections:
                raise ValueError(f"{path}:{lineno}: key before the first section")
            key, value = line.split("=", 1)
            sections[-1][1][key.strip()] = value.strip()
    if not sections or sections[0][0] != "net":
        raise ValueError(f"{path}: the first section must be [net]")
    return sections


def ints(text):
    return [int(v) for v in text.replace(" ", "").split(",") if v != ""]


def yolo_heads(sections):
    """(net_w, net_h, [head metadata]) where each head has anchors [(w, h)] of its mask,
    classes, scale_x_y and new_coords, in cfg order."""
    net = sections[0][1]
    heads = []
    for kind, opts, _ in sections[1:]:
        if kind != "yolo":
            continue
        values = [float(v) for v in opts.get("anchors", "").replace(" ", "").split(",") if v]
        pairs = list(zip(values[0::2], values[1::2]))
        mask = ints(opts["mask"]) if "mask" in opts else list(range(int(opts.get("num", len(pairs)))))
        heads.append({"anchors": [pairs[m] for m in mask], "classes": int(opts.get("classes", 20)),
                      "scale_x_y": float(opts.get("scale_x_y", 1)), "new_coords": int(opts.get("new_coords", 0))})
    return int(net.get("width", 416)), int(net.get("height", 416)), heads
