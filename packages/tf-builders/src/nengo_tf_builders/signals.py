"""Reading and writing nengo signals stored in TensorFlow base arrays.

Every read and write of a signal goes through `SignalAccess`, so the choice between a contiguous
slice and a gather/scatter is made here, once, and counted (tests assert the fast path).

Storage convention: a minibatched base array is a tensor of shape ``(n_elements, minibatch)``, a
non-minibatched one has shape ``(n_elements,)``. Keeping the batch last makes every signal block a
set of leading rows, so a block is one slice or one row gather, and ``A @ X`` with shared weights is
a plain matrix product. Builders see a minibatched signal as ``(*signal.shape, minibatch)``.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf
from nengo.builder.signal import Signal
from nengo.exceptions import BuildError
from nengo_graph_optimizer import SignalLayout


@dataclass(frozen=True)
class ArraySpec:
    """How the backend stores one base array."""

    name: str
    dtype: tf.DType
    minibatched: bool
    size: int


@dataclass(frozen=True, eq=False)
class Segment:
    """Consecutive elements of a block that live in one base array."""

    array: ArraySpec
    indices: np.ndarray  # flat int64 indices into the array

    @property
    def size(self) -> int:
        return int(self.indices.size)

    @property
    def slice(self):
        """``(start, stop)`` when the indices are one ascending run, else None."""
        idx = self.indices
        if idx.size > 0 and idx[-1] - idx[0] == idx.size - 1 and np.all(np.diff(idx) == 1):
            return int(idx[0]), int(idx[-1]) + 1
        return None


@dataclass(frozen=True, eq=False)
class TensorSignal:
    """A signal, or several combined, as segments of base arrays plus a view shape."""

    segments: tuple
    shape: tuple
    minibatched: bool
    dtype: tf.DType

    @property
    def size(self) -> int:
        return sum(s.size for s in self.segments)


class SignalAccess:
    """Maps nengo signals to base-array blocks and emits the TF reads and writes."""

    def __init__(self, layout: SignalLayout, arrays: Mapping[str, ArraySpec], minibatch_size: int):
        self.layout = layout
        self.arrays = dict(arrays)
        self.minibatch_size = minibatch_size
        self.counts = Counter()
        self._cache = {}

    # ---- block construction (numpy, at build time) ----

    def __getitem__(self, sig: Signal) -> TensorSignal:
        if sig not in self._cache:
            if sig not in self.layout:
                raise BuildError(f"Signal {sig} has no place in the signal layout")
            array, indices = self.layout.locate(sig)
            self._cache[sig] = self._block([(self.arrays[array.name], indices)], indices.shape)
        return self._cache[sig]

    def subset(self, sig: Signal, index) -> TensorSignal:
        """The elements ``sig[index]`` (a slice, an index list or a boolean mask) of a signal."""
        array, indices = self.layout.locate(sig)
        picked = indices[index]
        return self._block([(self.arrays[array.name], picked)], picked.shape)

    def combine(self, sigs: Sequence) -> TensorSignal:
        """Several signals (nengo Signals or TensorSignals) as one flat block, for merged
        groups."""
        parts = []
        for sig in sigs:
            ts = sig if isinstance(sig, TensorSignal) else self[sig]
            parts.extend((seg.array, seg.indices) for seg in ts.segments)
        size = sum(int(np.size(idx)) for _, idx in parts)
        return self._block(parts, (size,))

    def _block(self, parts, shape) -> TensorSignal:
        segments = []
        for array, indices in parts:
            indices = np.asarray(indices, dtype=np.int64).ravel()
            if segments and segments[-1][0] is array:
                segments[-1][1].append(indices)
            else:
                segments.append((array, [indices]))
        segs = tuple(Segment(a, np.concatenate(idx)) for a, idx in segments)
        kinds = {(s.array.minibatched, s.array.dtype) for s in segs}
        if len(kinds) > 1:
            raise BuildError(f"Cannot combine signals of different storage classes: {kinds}")
        minibatched, dtype = kinds.pop() if kinds else (False, tf.float32)
        return TensorSignal(segs, tuple(int(d) for d in shape), minibatched, dtype)

    # ---- TF reads and writes (at trace time) ----

    def batched_shape(self, ts: TensorSignal) -> tuple:
        return ts.shape + ((self.minibatch_size,) if ts.minibatched else ())

    def read(self, state: dict, ts: TensorSignal) -> tf.Tensor:
        """The value of ``ts``: ``(*shape, minibatch)`` if minibatched, else ``shape``."""
        parts = [self._read_segment(state, seg) for seg in ts.segments]
        value = parts[0] if len(parts) == 1 else tf.concat(parts, axis=0)
        return tf.reshape(value, self.batched_shape(ts))

    def read_batched(self, state: dict, ts: TensorSignal) -> tf.Tensor:
        """The value of ``ts`` as ``(*shape, minibatch)``, broadcasting constants."""
        value = self.read(state, ts)
        if not ts.minibatched:
            value = tf.broadcast_to(value[..., None], ts.shape + (self.minibatch_size,))
        return value

    def _read_segment(self, state, seg: Segment) -> tf.Tensor:
        x = state[seg.array.name]
        sl = seg.slice
        if sl is not None and sl == (0, seg.array.size):
            self.counts["read_whole"] += 1
            return x
        if sl is not None:
            self.counts["read_slice"] += 1
            return x[sl[0] : sl[1]]
        self.counts["read_gather"] += 1
        return tf.gather(x, tf.constant(seg.indices))

    def write(self, state: dict, ts: TensorSignal, value, inc: bool = False) -> None:
        """Set (or, with ``inc``, increment) ``ts`` to ``value``.

        ``value`` broadcasts to ``(*shape, minibatch)`` or is given flat, ``(size, minibatch or
        1)``.
        """
        if not ts.minibatched:
            raise BuildError(f"Cannot write a constant (non-minibatched) signal block {ts}")
        value = tf.cast(value, ts.dtype)
        flat = (ts.size, self.minibatch_size)
        if value.shape.rank == 2 and value.shape[0] == ts.size:
            value = tf.broadcast_to(value, flat)  # already one row per element
        else:
            value = tf.reshape(tf.broadcast_to(value, self.batched_shape(ts)), flat)
        start = 0
        for seg in ts.segments:
            part = value if len(ts.segments) == 1 else value[start : start + seg.size]
            start += seg.size
            self._write_segment(state, seg, part, inc)

    def _write_segment(self, state, seg: Segment, value, inc: bool) -> None:
        name = seg.array.name
        x = state[name]
        sl = seg.slice
        if sl is not None and sl == (0, seg.array.size):
            self.counts["write_whole"] += 1
            state[name] = x + value if inc else value
            return
        if sl is not None and 4 * seg.size >= seg.array.size:
            # a large contiguous block: rebuilding the array around it (memory copies) beats a
            # scatter with one index per row
            self.counts["write_slice"] += 1
            start, stop = sl
            block = x[start:stop] + value if inc else value
            state[name] = tf.concat([x[:start], block, x[stop:]], axis=0)
            return
        self.counts["write_scatter"] += 1
        indices = tf.constant(seg.indices[:, None])
        if inc:
            state[name] = tf.tensor_scatter_nd_add(x, indices, value)
        else:
            state[name] = tf.tensor_scatter_nd_update(x, indices, value)
