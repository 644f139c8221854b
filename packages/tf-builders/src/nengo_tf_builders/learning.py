"""Native learning rules: PES, BCM, Oja, Voja and RLS.

Each computes the rule's weight change ``delta`` exactly as nengo's step does; nengo's own
operators then add ``delta`` to the weights. Weights that a rule changes are written signals, so
they are minibatched: each minibatch element learns its own weights. Values are shaped
``(*signal.shape, minibatch)``.
"""

import numpy as np
import tensorflow as tf
from nengo.builder.learning_rules import SimBCM, SimOja, SimPES, SimRLS, SimVoja

from .builder import OpBuilder


class _RuleBuilder(OpBuilder):
    """One learning-rule operator; reads come batched, ``delta`` is written whole."""

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (self.op,) = ops

    @property
    def alpha(self) -> float:
        """Learning rate per step."""
        return self.op.learning_rate * self.config.dt

    def read(self, state, sig, shape=None):
        value = self.signals.read_batched(state, self.signals[sig])
        return value if shape is None else tf.reshape(value, shape)

    def write(self, state, sig, value):
        self.signals.write(state, self.signals[sig], value)


class SimPESBuilder(_RuleBuilder):
    """``delta = -lr * dt / n_pre * outer(error, pre_filtered)``."""

    def step(self, state, ctx):
        op, batch = self.op, self.config.minibatch_size
        pre = self.read(state, op.pre_filtered, (1, op.pre_filtered.size, batch))
        error = self.read(state, op.error, (op.error.size, 1, batch))
        alpha = -self.alpha / op.pre_filtered.shape[0]
        self.write(state, op.delta, alpha * error * pre)


class SimBCMBuilder(_RuleBuilder):
    """``delta = lr * dt * outer(post * (post - theta), pre)``."""

    def step(self, state, ctx):
        op, batch = self.op, self.config.minibatch_size
        pre = self.read(state, op.pre_filtered, (1, -1, batch))
        post = self.read(state, op.post_filtered, (-1, 1, batch))
        theta = self.read(state, op.theta, (-1, 1, batch))
        self.write(state, op.delta, self.alpha * post * (post - theta) * pre)


class SimOjaBuilder(_RuleBuilder):
    """``delta = -beta * W * (lr * dt * post^2) + lr * dt * outer(post, pre)``."""

    def step(self, state, ctx):
        op, batch = self.op, self.config.minibatch_size
        pre = self.read(state, op.pre_filtered, (1, -1, batch))
        post = self.read(state, op.post_filtered, (-1, 1, batch))
        weights = self.read(state, op.weights)
        forget = -op.beta * weights * (self.alpha * post * post)
        self.write(state, op.delta, forget + self.alpha * post * pre)


class SimVojaBuilder(_RuleBuilder):
    """``delta = lr * dt * signal * (scale * outer(post, pre_decoded) - post * encoders)``."""

    def step(self, state, ctx):
        op, batch = self.op, self.config.minibatch_size
        pre = self.read(state, op.pre_decoded, (1, -1, batch))
        post = self.read(state, op.post_filtered, (-1, 1, batch))
        encoders = self.read(state, op.scaled_encoders)
        signal = self.read(state, op.learning_signal, (1, 1, batch))
        scale = np.asarray(op.scale, dtype=self.config.dtype.as_numpy_dtype)[:, None, None]
        delta = self.alpha * signal * (scale * post * pre - post * encoders)
        self.write(state, op.delta, delta)


class SimRLSBuilder(_RuleBuilder):
    """Recursive least squares: updates the inverse Gram matrix ``P`` (state) and sets
    ``delta = -outer(error, P1 r)`` with ``P1 = P - (P r)(r' P) / (1 + r' P r)``."""

    def step(self, state, ctx):
        op, batch = self.op, self.config.minibatch_size
        r = self.read(state, op.pre_filtered, (-1, batch))
        error = self.read(state, op.error, (-1, 1, batch))
        P = self.read(state, op.inv_gamma)  # (n, n, batch)
        Pr = tf.einsum("ijb,jb->ib", P, r)
        rPr1 = 1 / (1 + tf.reduce_sum(r * Pr, axis=0))  # (batch,)
        self.write(state, op.inv_gamma, P - Pr[:, None] * (Pr[None, :] * rPr1))
        self.write(state, op.delta, error * (-rPr1 * Pr[None, :]))


def register_learning_builders(registry):
    registry.register(SimPES, SimPESBuilder)
    registry.register(SimBCM, SimBCMBuilder)
    registry.register(SimOja, SimOjaBuilder)
    registry.register(SimVoja, SimVojaBuilder)
    registry.register(SimRLS, SimRLSBuilder)
