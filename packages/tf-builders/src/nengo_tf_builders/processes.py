"""Processes with an input: linear filters (synapses) natively, others through NumPy."""

import numpy as np
import tensorflow as tf
from nengo.builder.processes import SimProcess
from nengo.synapses import LinearFilter

from .builder import OpBuilder
from .fallback import NumpyOpBuilder


def filter_form(op, dt):
    """Which of nengo's step forms applies to ``op``'s filter, with its state-space matrices:
    "none" (no state), "one" (one state, no passthrough), "nod" (no passthrough), "general"."""
    A, B, C, D = op.process._get_ss(dt)
    X0 = op.state["X"].initial_value
    if LinearFilter.NoX.check(A, B, C, D, X0):
        form = "none"
    elif LinearFilter.OneX.check(A, B, C, D, X0):
        form = "one"
    elif LinearFilter.NoD.check(A, B, C, D, X0):
        form = "nod"
    else:
        form = "general"
    return form, (A, B, C, D)


class LinearFilterBuilder(OpBuilder):
    """LinearFilter steps for a group of filters with the same form, state size and signal size,
    in the form nengo chooses for each (so results match update for update). State lives in each
    operator's ``X`` signal; the group's filters run as one batched matrix product."""

    @classmethod
    def specialize(cls, op):
        if isinstance(op.process, LinearFilter) and op.input is not None:
            return cls
        return NumpyOpBuilder

    @classmethod
    def merge_key(cls, op, dt):
        form, (A, _, _, _) = filter_form(op, dt)
        return form, A.shape[0], op.input.size, op.output.size, op.mode

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        forms, matrices = zip(*(filter_form(op, config.dt) for op in ops))
        self.form = forms[0]
        dtype = config.dtype.as_numpy_dtype
        k = len(ops)
        self.A = np.stack([m[0] for m in matrices]).astype(dtype)  # (k, ns, ns)
        self.n_states = self.A.shape[1]
        self.B = np.stack([m[1] for m in matrices]).astype(dtype).reshape(k, self.n_states, 1, 1)
        self.C = np.stack([m[2] for m in matrices]).astype(dtype).reshape(k, 1, self.n_states)
        self.D = np.stack([m[3] for m in matrices]).astype(dtype).reshape(k, 1, 1, 1)
        self.size = ops[0].output.size
        self.input = signals.combine([op.input for op in ops])
        self.output = signals.combine([op.output for op in ops])
        self.X = signals.combine([op.state["X"] for op in ops]) if self.n_states else None
        self.inc = ops[0].mode == "inc"

    def step(self, state, ctx):
        k, batch = len(self.ops), self.config.minibatch_size
        read = self.signals.read_batched
        u = tf.reshape(read(state, self.input), (k, 1, self.size, batch))
        if self.form == "none":
            y = self.D * u
        else:
            X = tf.reshape(read(state, self.X), (k, self.n_states, self.size * batch))
            if self.form == "one":
                a = self.A.reshape(k, 1, 1)
                b = (self.B[:, :, 0, 0] * self.C[:, :, 0]).reshape(k, 1, 1)
                X = a * X + b * tf.reshape(u, (k, 1, -1))
                y = X
            else:
                Bu = tf.reshape(self.B[..., 0] * tf.reshape(u, (k, 1, -1)), (k, self.n_states, -1))
                if self.form == "nod":
                    X = tf.matmul(self.A, X) + Bu
                    y = tf.matmul(self.C, X)
                else:
                    y = tf.matmul(self.C, X) + self.D[..., 0] * tf.reshape(u, (k, 1, -1))
                    X = tf.matmul(self.A, X) + Bu
            self.signals.write(state, self.X, tf.reshape(X, (self.X.size, batch)))
        y = tf.reshape(y, (self.output.size, batch))
        self.signals.write(state, self.output, y, inc=self.inc)


def register_process_builders(registry):
    registry.register(SimProcess, LinearFilterBuilder)
