"""darkrt: Darknet YOLO models as fast, verified inference engines, from Python.

    import darkrt
    engine = darkrt.Model("yolo-fastest-1.1.cfg", "yolo-fastest-1.1.weights").build(device="cpu")
    for r in engine.detect(["dog.jpg", frame_bgr]):      # paths or numpy uint8 HxWx3 (BGR by default)
        print(r.boxes, r.scores, r.class_ids, r.labels)  # boxes: N x 4 (x1, y1, x2, y2) in pixels

Everything runs in libdarkrt (the same code as the darkrt CLI); failures raise darkrt.Error with
darkrt's one-line message. See Engine for what threads may share.
"""
from ._darkrt import Error
from ._api import NEW_SEQUENCE, Detections, Engine, Model, StreamItem, imread
from ._tools import compare, convert, version

__all__ = ["Error", "Model", "Engine", "Detections", "StreamItem", "NEW_SEQUENCE", "imread", "convert", "compare",
           "version"]
