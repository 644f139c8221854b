"""Processes with an input: linear filters (synapses) natively, others through NumPy."""

import numpy as np
import tensorflow as tf
from nengo.builder.processes import SimProcess
from nengo.synapses import LinearFilter

from .builder import OpBuilder
from .fallback import NumpyOpBuilder


class LinearFilterBuilder(OpBuilder):
    """A LinearFilter's state-space step, in the same form nengo chooses for it (no state,
    one state, no passthrough, or general), on state stored in the operator's ``X`` signal."""

    @classmethod
    def specialize(cls, op):
        if isinstance(op.process, LinearFilter) and op.input is not None:
            return cls
        return NumpyOpBuilder

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (op,) = ops
        self.op = op
        A, B, C, D = op.process._get_ss(config.dt)
        X0 = op.state["X"].initial_value
        steps = LinearFilter
        if steps.NoX.check(A, B, C, D, X0):
            self.form = "none"
        elif steps.OneX.check(A, B, C, D, X0):
            self.form = "one"
        elif steps.NoD.check(A, B, C, D, X0):
            self.form = "nod"
        else:
            self.form = "general"
        dtype = config.dtype.as_numpy_dtype
        self.A = np.asarray(A, dtype=dtype)
        self.B = np.asarray(B, dtype=dtype).reshape(-1, 1)
        self.C = np.asarray(C, dtype=dtype).reshape(1, -1)
        self.D = np.asarray(D, dtype=dtype).reshape(())
        self.input = signals[op.input]
        self.output = signals[op.output]
        self.X = signals[op.state["X"]]
        self.n_states = self.A.shape[0]

    def step(self, state, ctx):
        read = self.signals.read_batched
        u = tf.reshape(read(state, self.input), (1, -1))
        if self.form == "none":
            y = self.D * u
        else:
            X = tf.reshape(read(state, self.X), (self.n_states, -1))
            if self.form == "one":
                X = self.A[0, 0] * X + (self.B[0, 0] * self.C[0, 0]) * u
                y = X
            elif self.form == "nod":
                X = tf.matmul(self.A, X) + self.B * u
                y = tf.matmul(self.C, X)
            else:
                y = tf.matmul(self.C, X) + self.D * u
                X = tf.matmul(self.A, X) + self.B * u
            self.signals.write(state, self.X, tf.reshape(X, (self.X.size, -1)))
        y = tf.reshape(y, (self.output.size, -1))
        self.signals.write(state, self.output, y, inc=self.op.mode == "inc")


def register_process_builders(registry):
    registry.register(SimProcess, LinearFilterBuilder)
