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
    """One result of Engine.stream, in input order.

    index: the input's position in `sources` (a video's frames share its index); source: the path or
    URL, None for a numpy frame; frame_index, pts: a video frame's number (0, 1, ... in display
    order) and time in seconds since the stream's start, None for images; detections: a Detections,
    or None with error set (a darkrt.Error, the item's own one-line message; the stream goes on);
    frame: with stream(frames=True), the pixels the detections were made on (uint8 H x W x 3, BGR,
    or RGB with rgb=True), else None; dropped: frames of a live source dropped just before this one
    (the stream fell behind), else 0."""

    __slots__ = ("index", "source", "frame_index", "pts", "dropped", "detections", "error", "frame")

    def __init__(self, index, source, frame_index=None, pts=None, dropped=0, detections=None, error=None,
                 frame=None):
        self.index, self.source, self.frame_index, self.pts, self.dropped = index, source, frame_index, pts, dropped
        self.detections, self.error, self.frame = detections, error, frame

    def __repr__(self):
        what = self.detections if self.error is None else f"error: {self.error}"
        at = "" if self.frame_index is None else f" frame {self.frame_index} at {self.pts:.3f} s"
        return f"<StreamItem {self.index} {self.source or 'frame'}{at}: {what}>"


class _NewSequence:
    """darkrt.NEW_SEQUENCE: an item of Engine.stream's sources that yields nothing; for a stateful model
    (Model.stateful), the items after it are a new sequence (the state restarts from zeros before them)."""

    __slots__ = ()

    def __repr__(self):
        return "darkrt.NEW_SEQUENCE"


NEW_SEQUENCE = _NewSequence()


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
    stateful = property(lambda self: self._info["stateful"], doc="the model's Model.stateful")

    def reset_state(self):
        """Sets a stateful model's (Model.stateful) hidden state back to zeros: the next detect or run
        starts a new sequence (a new video). detect and run carry the state from each image to the next,
        through a call's images in order and from one call to the next; a stream starts from zeros and
        leaves the state where its last item did. A no-op for other models."""
        self._h.reset_state()

    def detect(self, frames, rgb=False, thresh=0.25, nms=0.45):
        """Detects objects, as `darkrt detect` does (letterbox, engine, YOLO decode, per-class NMS).

        frames: one frame or path, or a list of them. A frame is an 8-bit H x W x 3 array (numpy or
        any buffer), channels BGR as OpenCV gives them, or RGB with rgb=True; rows may be padded
        (a crop of a larger array) but pixels must be packed within a row. It is read in place,
        not copied. A path is any image darkrt decodes (JPEG, PNG, BMP, PPM).
        Returns a Detections for one input, else a list of them, in order. Up to max_batch inputs
        share one engine run. Raises darkrt.Error (the frame or file named) for a bad input.
        A stateful model's inputs are the next images of its sequence (see reset_state).
        """
        single = _is_single(frames) or not hasattr(frames, "__iter__")
        items = [frames] if single else list(frames)
        raw = self._h.detect(items, rgb, thresh, nms)
        results = [Detections(r, self.names) for r in raw]
        return results[0] if single else results

    def stream(self, sources, rgb=False, thresh=0.25, nms=0.45, workers=0, batch=0, max_in_flight=0,
               frames=False, timeout=0.0):
        """Detects over an iterable of image paths, numpy frames and video sources with darkrt's
        pipeline: worker threads decode and letterbox while the engine runs the previous batch (of up
        to `batch`, default the engine's max batch). Yields a StreamItem per image and per video frame,
        in input order.

        A video source is a path or URL darkrt reads as video (darkrt/video.h): a video file (mp4,
        mkv, avi, mov, webm, ts), an image sequence ("dir/%04d.png" or "dir/img*.jpg"), a V4L2 camera
        ("/dev/video0") or a network stream (rtsp://, http(s)://, udp://, srt://, tcp://); `timeout`
        (seconds, 0: 10) bounds a network source's or camera's opening and its silences. Its frames
        go from the decoder to the pipeline without passing through Python, each a StreamItem with
        frame_index and pts. Every frame of a file or an image sequence is detected (reading waits
        for the loop over the stream). A live source (camera, network stream) keeps its own pace:
        a thread reads it into a queue of depth 4, and when the loop falls behind the oldest are
        dropped (a burst of frames decoded at once stays: darkrt detect's rule), counted in the
        next item's .dropped (frame_index then skips them).
        A live stream that stops sending ends with darkrt.Error ("no data for N s") after `timeout`.
        frames=True: each StreamItem carries its pixels as numpy (.frame).

        Errors: a bad image (unreadable file, malformed frame) gives an item with .error and the stream
        goes on; a video that cannot be opened or breaks off (corrupt, or silent past
        timeout) raises darkrt.Error with darkrt's one-line message (the url and the frame reached),
        after the items of every frame decoded before it.
        At most `max_in_flight` items are pending (0: sized by darkrt), so any iterable (a camera,
        a generator) streams in bounded memory. While the stream is open it owns the engine: other
        threads' calls wait for it, and this thread's own detect/run raise darkrt.Error.

        A stateful model (Model.stateful) runs the stream as sequences, its state carried from item to
        item in order: the stream starts one from zeros, each video source is a sequence of its own,
        the items between videos are one, and darkrt.NEW_SEQUENCE among the sources starts another
        (batches never mix sequences). For other models these change nothing."""
        pipe = _darkrt.Pipeline(self._h, rgb=rgb, workers=workers, batch=batch, max_in_flight=max_in_flight,
                                thresh=thresh, nms=nms, frames=frames)
        queue = _StreamQueue(pipe, self.names)
        try:
            for index, item in enumerate(sources):
                if item is NEW_SEQUENCE:
                    pipe.start_sequence()
                    continue
                name = _source_name(item)
                if name is not None and _darkrt.is_video_source(name):
                    pipe.start_sequence()
                    yield from queue.video(index, name, timeout)
                    pipe.start_sequence()
                    continue
                yield from queue.room()
                try:
                    pipe.submit(item, index)
                except Error as e:  # refused before queuing: its place in the order is now
                    yield from queue.drain()
                    yield StreamItem(index, name, error=e)
                    continue
                queue.submitted(index, name)
            pipe.close()
            yield from queue.drain()
        finally:
            pipe.free()

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
    stateful = property(lambda self: self._h.stateful,
                        doc="True for a recurrent model (AlexeyAB's [crnn]): its hidden state carries from "
                            "each image to the next (Engine.reset_state, darkrt.NEW_SEQUENCE)")

    def build(self, device="cpu", precision="fp32", batch=1, calib=None, threads=0):
        """Compiles an engine. device: 'cpu', 'cuda[:N]' or 'ref'; precision: 'fp32', 'bf16',
        'fp16' or 'int8' (int8 needs calib, a directory of images); batch: largest batch per run;
        threads: CPU threads (0: OpenMP's count, OMP_NUM_THREADS, else all cores)."""
        extra = {} if calib is None else {"calib": os.fspath(calib)}
        return Engine(self._h.build(device=device, precision=precision, batch=batch, threads=threads, **extra))

    def summary(self):
        """The table `darkrt inspect` prints: layers, shapes, parameters, FLOPs."""
        return self._h.summary()

    def __repr__(self):
        return f"<darkrt.Model {self.path} {self.width}x{self.height}>"


class _StreamQueue:
    """Engine.stream's items in the pipeline: what each submission was, and its results in order."""

    def __init__(self, pipe, names):
        self.pipe, self.names = pipe, names
        self.pending = {}  # submission number -> (input index, source, frame index, pts, dropped)
        self.count = 0

    def submitted(self, index, source, frame_index=None, pts=None, dropped=0):
        self.pending[self.count] = (index, source, frame_index, pts, dropped)
        self.count += 1

    def take(self):
        number, _, status, error, dets, image = self.pipe.next()
        index, name, frame_index, pts, dropped = self.pending.pop(number)
        frame = None if image is None else np.frombuffer(image[0], dtype=np.uint8).reshape(image[1], image[2], 3)
        if status != 0:
            e = Error(error)
            e.status = status
            return StreamItem(index, name, frame_index, pts, dropped, error=e, frame=frame)
        return StreamItem(index, name, frame_index, pts, dropped, Detections(dets, self.names), frame=frame)

    def room(self):
        """Yields results until one more item may be submitted without blocking."""
        while len(self.pending) >= self.pipe.max_in_flight:
            yield self.take()

    def drain(self):
        while self.pending:
            yield self.take()

    def video(self, index, url, timeout):
        """Submits every frame of the video source `url`; a failure drains the queue, then raises."""
        try:
            video = _darkrt.Video(url, timeout=timeout)
        except Error:
            yield from self.drain()
            raise
        try:
            while True:
                yield from self.room()
                try:
                    got = self.pipe.submit_video(video)
                except Error:
                    yield from self.drain()
                    raise
                if got is None:
                    return
                self.submitted(index, url, *got)
        finally:
            video.close()


def _source_name(item):
    return os.fsdecode(item) if isinstance(item, (str, bytes, os.PathLike)) else None


def imread(path, rgb=False):
    """Decodes an image file with darkrt's decoder into a uint8 H x W x 3 array, BGR (as
    cv2.imread) or RGB."""
    buf, h, w = _darkrt.imread(os.fspath(path), rgb=rgb)
    return np.frombuffer(buf, dtype=np.uint8).reshape(h, w, 3)
