"""Builders for nengo's basic operators: Reset, Copy, ElementwiseInc, DotInc and its sparse
variants, and TimeUpdate."""

import numpy as np
import tensorflow as tf
from nengo.builder.operator import (
    BsrDotInc,
    Copy,
    DotInc,
    ElementwiseInc,
    Reset,
    SparseDotInc,
    TimeUpdate,
)
from nengo.builder.probe import SimProbe
from nengo.exceptions import BuildError
from nengo_graph_optimizer import sparse_entries

from .builder import OpBuilder


def _pad_rank(x, shape, batch, rank):
    """Reshape ``x`` (``shape`` + optional batch) to ``rank`` leading dims plus a batch dim, for
    numpy-style broadcasting with the batch kept last."""
    return tf.reshape(x, (1,) * (rank - len(shape)) + tuple(shape) + (batch,))


class ResetBuilder(OpBuilder):
    """All Resets of a group write one concatenated constant."""

    @classmethod
    def merge_key(cls, op, dt):
        return "reset"

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        self.dst = signals.combine([op.dst for op in ops])
        self.value = np.concatenate([np.broadcast_to(op.value, op.dst.shape).ravel() for op in ops])

    def step(self, state, ctx):
        value = tf.constant(self.value.astype(self.dst.dtype.as_numpy_dtype))
        self.signals.write(state, self.dst, value[:, None])


class CopyBuilder(OpBuilder):
    """Copies (with optional index lists) of a group as one gather and one write."""

    @classmethod
    def merge_key(cls, op, dt):
        return op.inc

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        srcs, dsts = [], []
        for op in ops:
            src = signals[op.src] if op.src_slice is None else signals.subset(op.src, op.src_slice)
            dst = signals[op.dst] if op.dst_slice is None else signals.subset(op.dst, op.dst_slice)
            if not op.inc and op.dst_slice is not None:
                positions = np.asarray(op.dst_slice)
                if positions.dtype.kind != "b":
                    positions = np.where(positions < 0, positions + op.dst.size, positions)
                    if len(np.unique(positions)) < len(positions):
                        raise BuildError(
                            f"{op}: Cannot have repeated indices in ``dst_slice`` when copy "
                            "is not an increment"
                        )
            srcs.append(src)
            dsts.append(dst)
        self.src = signals.combine(srcs)
        self.dst = signals.combine(dsts)
        self.inc = ops[0].inc

    def step(self, state, ctx):
        value = self.signals.read(state, self.src)
        if not self.src.minibatched:
            value = value[:, None]
        self.signals.write(state, self.dst, value, inc=self.inc)


def _increments(op) -> bool:
    """Whether ``op`` adds to its output (nengo's ops) or sets it (the optimizer's set variants)."""
    return bool(op.incs)


class ElementwiseIncBuilder(OpBuilder):
    """``Y += A * X`` with numpy broadcasting, for a group of equally shaped operators at once
    (stacked along a leading group axis)."""

    @classmethod
    def merge_key(cls, op, dt):
        return op.A.shape, op.X.shape, op.Y.shape, _increments(op)

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        op = ops[0]
        self.A = signals.combine([o.A for o in ops])
        self.X = signals.combine([o.X for o in ops])
        self.Y = signals.combine([o.Y for o in ops])
        self.shapes = op.A.shape, op.X.shape, op.Y.shape
        self.rank = max(len(shape) for shape in self.shapes)
        self.inc = _increments(op)

    def _operand(self, state, ts, shape):
        batch = self.config.minibatch_size if ts.minibatched else 1
        padded = (len(self.ops),) + (1,) * (self.rank - len(shape)) + tuple(shape) + (batch,)
        return tf.reshape(self.signals.read(state, ts), padded)

    def step(self, state, ctx):
        a_shape, x_shape, y_shape = self.shapes
        prod = self._operand(state, self.A, a_shape) * self._operand(state, self.X, x_shape)
        padded = (
            (len(self.ops),)
            + (1,) * (self.rank - len(y_shape))
            + y_shape
            + (self.config.minibatch_size,)
        )
        prod = tf.reshape(tf.broadcast_to(prod, padded), (self.Y.size, -1))
        self.signals.write(state, self.Y, prod, inc=self.inc)


class DotIncBuilder(OpBuilder):
    """``Y += dot(A, X)``. Matrix-vector products of one shape merge into one batched matmul;
    A may be constant or per-batch-element (learned) weights."""

    @classmethod
    def merge_key(cls, op, dt):
        matrix_vector = op.A.ndim == 2 and op.X.ndim == 1 and op.Y.ndim == 1
        if matrix_vector and op.A.shape == (op.Y.size, op.X.size):  # (reshape is then a no-op)
            return op.A.shape, _increments(op)
        return None

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        op = ops[0]
        self.A = signals.combine([o.A for o in ops]) if len(ops) > 1 else signals[op.A]
        self.X = signals.combine([o.X for o in ops]) if len(ops) > 1 else signals[op.X]
        self.Y = signals.combine([o.Y for o in ops]) if len(ops) > 1 else signals[op.Y]
        self.a_shape, self.x_shape, self.y_shape = op.A.shape, op.X.shape, op.Y.shape
        self.inc = _increments(op)

    def step(self, state, ctx):
        A, X, k = self.A, self.X, len(self.ops)
        a = self.signals.read(state, A)
        x = self.signals.read(state, X)
        batch = self.config.minibatch_size
        if self.a_shape == () or self.x_shape == ():
            rank = max(len(self.a_shape), len(self.x_shape))
            a = _pad_rank(a, self.a_shape, batch if A.minibatched else 1, rank)
            x = _pad_rank(x, self.x_shape, batch if X.minibatched else 1, rank)
            result = a * x
        else:
            m = self.a_shape[-1]
            x = tf.reshape(x, (k, m, -1))  # X is a (column) vector: (k, m, batch or 1)
            if A.minibatched:
                if batch == 1:  # the batch axis is free to drop: a plain matrix product
                    result = tf.matmul(tf.reshape(a, (k, -1, m)), x)
                else:  # a matrix-vector product per element (no (n, m, batch) temporary)
                    a = tf.reshape(a, (k, -1, m, batch))
                    result = tf.einsum("knmb,kmb->knb", a, tf.broadcast_to(x, (k, m, batch)))
            else:
                result = tf.matmul(tf.reshape(a, (k, -1, m)), x)
        result = tf.reshape(result, (self.Y.size, -1))
        self.signals.write(state, self.Y, result, inc=self.inc)


class SparseDotIncBuilder(OpBuilder):
    """``Y += A @ X`` for a sparse A whose non-zero values live in a base array, as a gather of
    X's rows, a product with the values, and a sum per output row (no sparse tensor types, so it
    compiles with XLA and differentiates with respect to the values)."""

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (op,) = ops
        self.A, self.X, self.Y = signals[op.A], signals[op.X], signals[op.Y]
        if self.A.minibatched:
            raise BuildError(
                f"{op}: sparse weights that change during the run are unsupported; use a Dense "
                "transform for weights that a learning rule changes"
            )
        indices, _ = sparse_entries(op.A)
        self.rows, self.cols = indices[:, 0], indices[:, 1]
        self.n_rows, self.n_cols = (int(d) for d in op.A.initial_value.shape)

    def step(self, state, ctx):
        values = self.signals.read(state, self.A)
        x = tf.reshape(self.signals.read_batched(state, self.X), (self.n_cols, -1))
        products = values[:, None] * tf.gather(x, self.cols)
        result = tf.math.unsorted_segment_sum(products, self.rows, self.n_rows)
        self.signals.write(state, self.Y, result, inc=True)


class BsrDotIncBuilder(OpBuilder):
    """``Y += bsr_matrix((A, indices, indptr)) @ X`` as a batched block product."""

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (op,) = ops
        self.A, self.X, self.Y = signals[op.A], signals[op.X], signals[op.Y]
        self.n_blocks, self.block_rows, self.block_cols = op.A.shape
        self.col_blocks = np.asarray(op.indices, dtype=np.int64)
        self.row_of_block = np.repeat(np.arange(len(op.indptr) - 1), np.diff(op.indptr)).astype(
            np.int64
        )
        self.n_row_blocks = len(op.indptr) - 1

    def step(self, state, ctx):
        batch = self.config.minibatch_size
        a = self.signals.read(state, self.A)
        if not self.A.minibatched:
            a = a[..., None]
        x = tf.reshape(self.signals.read_batched(state, self.X), (-1, self.block_cols, batch))
        xb = tf.gather(x, self.col_blocks)  # (n_blocks, block_cols, batch)
        prod = tf.reduce_sum(a * xb[:, None], axis=2)  # (n_blocks, block_rows, batch)
        result = tf.math.unsorted_segment_sum(prod, self.row_of_block, self.n_row_blocks)
        result = tf.reshape(result, (self.Y.size, batch))
        self.signals.write(state, self.Y, result, inc=True)


class TimeUpdateBuilder(OpBuilder):
    """Sets the step counter and ``time = step * dt`` from the loop's step number."""

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (op,) = ops
        self.step_sig, self.time_sig = signals[op.step], signals[op.time]

    def step(self, state, ctx):
        self.signals.write(state, self.step_sig, ctx.step)
        time = tf.cast(ctx.step, tf.float64) * self.config.dt
        self.signals.write(state, self.time_sig, time)


class SimProbeBuilder(OpBuilder):
    """Probes only mark their signal as read; the loop records probed signals after each step."""

    @classmethod
    def merge_key(cls, op, dt):
        return "probe"

    def step(self, state, ctx):
        pass


def register_operator_builders(registry):
    registry.register(SimProbe, SimProbeBuilder)
    registry.register(Reset, ResetBuilder)
    registry.register(Copy, CopyBuilder)
    registry.register(ElementwiseInc, ElementwiseIncBuilder)
    registry.register(DotInc, DotIncBuilder)
    registry.register(SparseDotInc, SparseDotIncBuilder)
    registry.register(BsrDotInc, BsrDotIncBuilder)
    registry.register(TimeUpdate, TimeUpdateBuilder)
