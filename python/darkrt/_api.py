"""Model, Engine and Detections: the Python face of libdarkrt's model, engine and detect calls."""
import os

import numpy as np

from . import _darkrt
from ._darkrt import Error

_F32, _I32 = np.dtype(np.float32), np.dtype(np.int32)


class Detections:
    """One image's detections, sorted by score (highest first).

    boxes: float32 N x 4 (x1, y1, x2, y2) in the image's pixels; scores: float32 N (objectness x
    class probability); class_ids: int32 N; labels: N class names (the id as text where the model
    has no names), made on first use; width, height: the image's size.
    """

    __slots__ = ("boxes", "scores", "class_ids", "width", "height", "_names", "_labels")

    def __init__(self, raw, names):
        self.width, self.height, boxes, scores, ids = raw
        n = len(scores) // 4
        self.boxes = np.ndarray((n, 4), _F32, boxes)
        self.scores = np.ndarray((n,), _F32, scores)
        self.class_ids = np.ndarray((n,), _I32, ids)
        self._names, self._labels = names, None

    @property
    def labels(self):
        if self._labels is None:
            names = self._names
            self._labels = [names[i] if i < len(names) else str(i) for i in self.class_ids.tolist()]
        return self._labels

    def __len__(self):
        return len(self.scores)

    def __repr__(self):
        return f"<Detections {len(self)} in {self.width}x{self.height}: {self.labels}>"


class StreamItem:
    """One result of Engine.stream, in input order: index (position in the input), source (the path,
    or None for a frame), and either detections (a Detections) or error (a darkrt.Error, the item's
    own one-line message; the stream goes on)."""

    __slots__ = ("index", "source", "detections", "error")

    def __init__(self, index, source, detections=None, error=None):
        self.index, self.source, self.detections, self.error = index, source, detections, error

    def __repr__(self):
        what = self.detections if self.error is None else f"error: {self.error}"
        return f"<StreamItem {self.index} {self.source or 'frame'}: {what}>"


def _is_single(frames):
    return getattr(frames, "ndim", 0) in (2, 3) or isinstance(frames, (str, bytes, os.PathLike))


class Engine:
    """A model compiled for one device and precision (Model.build) or loaded from a plan (Engine.load).

    Threads: an Engine may be shared by any number of threads. darkrt's C engine owns one set of
    activations, so runs on one Engine take its lock and happen one at a time; the GIL is released
    while a thread decodes its images, converts its frames, waits for the lock and runs, so other
    Python threads go on meanwhile. For inference in parallel, build one Engine per thread.
    The engine is freed when the last reference goes (garbage collection).
    """

    def __init__(self, handle):
        self._h = handle
        self._info = handle.info
        self.names = handle.class_names()

    @classmethod
    def load(cls, plan, device="cpu", batch=1, threads=0):
        """Loads a plan written by Engine.save or `darkrt build` (a plan for another CPU or GPU is
        refused with darkrt's message). batch: largest batch for CPU plans (CUDA plans keep theirs)."""
        return cls(_darkrt.load_plan(os.fspath(plan), device=device, batch=batch, threads=threads))

    device = property(lambda self: self._info["device"], doc="'cpu', 'cuda' or 'ref'")
    precision = property(lambda self: self._info["precision"], doc="'fp32', 'fp16', 'bf16' or 'int8'")
    max_batch = property(lambda self: self._info["max_batch"], doc="images per engine run")
    input_shape = property(lambda self: (self._info["channels"], self._info["height"], self._info["width"]),
                           doc="(C, H, W) of the network input")

    def detect(self, frames, rgb=False, thresh=0.25, nms=0.45):
        """Detects objects, as `darkrt detect` does (letterbox, engine, YOLO decode, per-class NMS).

        frames: one frame or path, or a list of them. A frame is an 8-bit H x W x 3 array (numpy or
        any buffer), channels BGR as OpenCV gives them, or RGB with rgb=True; rows may be padded
        (a crop of a larger array) but pixels must be packed within a row. It is read in place,
        not copied. A path is any image darkrt decodes (JPEG, PNG, BMP, PPM).
        Returns a Detections for one input, else a list of them, in order. Up to max_batch inputs
        share one engine run. Raises darkrt.Error (the frame or file named) for a bad input.
        """
        single = _is_single(frames) or not hasattr(frames, "__iter__")
        items = [frames] if single else list(frames)
        raw = self._h.detect(items, rgb, thresh, nms)
        results = [Detections(r, self.names) for r in raw]
        return results[0] if single else results

    def stream(self, sources, rgb=False, thresh=0.25, nms=0.45, workers=0, batch=0, max_in_flight=0):
        """Detects over an iterable of paths and frames with darkrt's pipeline: worker threads decode
        and letterbox while the engine runs the previous batch (of up to `batch`, default the engine's
        max batch). Yields a StreamItem per input, in order; a bad item (unreadable file, malformed
        frame) gives an item with .error and the stream goes on. Frames are copied when submitted.
        At most `max_in_flight` items are pending (0: sized by darkrt), so any iterable (a camera,
        a generator) streams in bounded memory. While the stream is open it owns the engine: other
        threads' calls wait for it, and this thread's own detect/run raise darkrt.Error."""
        pipe = _darkrt.Pipeline(self._h, rgb=rgb, workers=workers, batch=batch, max_in_flight=max_in_flight,
                                thresh=thresh, nms=nms)
        sources_of = {}  # pipeline submission number -> (input index, source)
        submitted = 0
        try:
            for index, item in enumerate(sources):
                while len(sources_of) >= pipe.max_in_flight:
                    yield self._stream_item(pipe.next(), sources_of)
                try:
                    pipe.submit(item, index)
                except Error as e:  # refused before queuing: its place in the order is now
                    while sources_of:
                        yield self._stream_item(pipe.next(), sources_of)
                    yield StreamItem(index, _source_name(item), error=e)
                    continue
                sources_of[submitted] = (index, _source_name(item))
                submitted += 1
            pipe.close()
            while sources_of:
                yield self._stream_item(pipe.next(), sources_of)
        finally:
            pipe.free()

    def _stream_item(self, raw, sources_of):
        pos, source, status, error, dets = raw
        index, name = sources_of.pop(pos)
        if status != 0:
            e = Error(error)
            e.status = status
            return StreamItem(index, name, error=e)
        return StreamItem(index, name, detections=Detections(dets, self.names))

    def run(self, tensor):
        """One forward pass on a preprocessed float32 N x C x H x W tensor (RGB in [0, 1]); returns
        the raw head tensors (what enters each [yolo] layer) as float32 NCHW numpy arrays."""
        heads = self._h.run(np.ascontiguousarray(tensor, dtype=np.float32))
        return [np.frombuffer(buf, dtype=np.float32).reshape(shape) for buf, shape in heads]

    def save(self, plan):
        """Writes the engine as a plan (Engine.load and `darkrt detect` read it)."""
        self._h.save(os.fspath(plan))

    def __repr__(self):
        return f"<darkrt.Engine {self.device} {self.precision} batch {self.max_batch} input {self.input_shape}>"


class Model:
    """A model: a Darknet .cfg (weights: its .weights; without them, zero weights), an .onnx, or a
    plan. Class names come from the file, else `names`, else coco.names beside a .cfg."""

    def __init__(self, path, weights=None, names=None, bn="alexeyab", width=0, height=0):
        path = os.fspath(path)
        extra = {} if weights is None else {"weights": os.fspath(weights)}
        self._h = _darkrt.load_model(path, bn=bn, width=width, height=height, **extra)
        beside = os.path.join(os.path.dirname(path), "coco.names")
        if names is not None:
            self._h.set_names(os.fspath(names))
        elif path.endswith(".cfg") and not self._h.class_names() and os.access(beside, os.R_OK):
            self._h.set_names(beside)
        self.path = path

    width = property(lambda self: self._h.width, doc="network input width")
    height = property(lambda self: self._h.height, doc="network input height")
    names = property(lambda self: self._h.class_names(), doc="class names ([] if none)")

    def build(self, device="cpu", precision="fp32", batch=1, calib=None, threads=0):
        """Compiles an engine. device: 'cpu', 'cuda[:N]' or 'ref'; precision: 'fp32', 'bf16',
        'fp16' or 'int8' (int8 needs calib, a directory of images); batch: largest batch per run;
        threads: CPU threads (0: all cores)."""
        extra = {} if calib is None else {"calib": os.fspath(calib)}
        return Engine(self._h.build(device=device, precision=precision, batch=batch, threads=threads, **extra))

    def summary(self):
        """The table `darkrt inspect` prints: layers, shapes, parameters, FLOPs."""
        return self._h.summary()

    def __repr__(self):
        return f"<darkrt.Model {self.path} {self.width}x{self.height}>"


def _source_name(item):
    return os.fsdecode(item) if isinstance(item, (str, bytes, os.PathLike)) else None


def imread(path, rgb=False):
    """Decodes an image file with darkrt's decoder into a uint8 H x W x 3 array, BGR (as
    cv2.imread) or RGB."""
    buf, h, w = _darkrt.imread(os.fspath(path), rgb=rgb)
    return np.frombuffer(buf, dtype=np.uint8).reshape(h, w, 3)
