"""Input feeds: signals whose values the simulator computes ahead of the loop.

Nodes without input (Python functions of time, constant arrays, processes such as WhiteSignal or
PresentInput) and noise processes without input do not depend on the simulation, so the simulator
computes their values for a whole run in Python (or takes them from user ``data``) and the loop
only copies one row per step into the signal. `SimFeed` is the operator that stands for that copy
in the operator graph, so planning and dependency order treat it like any other writer.
"""

import numpy as np
import tensorflow as tf
from nengo.builder.operator import Operator

from .builder import OpBuilder


class SimFeed(Operator):
    """Set (or increment) ``output`` with rows ``rows = (start, stop)`` of the step's feed."""

    def __init__(self, output, rows, mode="set", source=None, tag=None):
        super().__init__(tag=tag)
        self.rows = rows
        self.mode = mode
        self.source = source  # the nengo operator (or object) whose values are fed
        self.sets = [output] if mode == "set" else []
        self.incs = [output] if mode == "inc" else []
        self.reads = []
        self.updates = []

    @property
    def output(self):
        return (self.sets + self.incs)[0]

    @property
    def _descstr(self):
        return f"feed[{self.rows[0]}:{self.rows[1]}] -> {self.output}, mode={self.mode}"


class SimFeedBuilder(OpBuilder):
    """Copies the group's feed rows into its signals with one gather (or slice) and one write."""

    @classmethod
    def merge_key(cls, op, dt):
        return op.mode

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        self.output = signals.combine([op.output for op in ops])
        rows = np.concatenate([np.arange(*op.rows) for op in ops]).astype(np.int64)
        contiguous = rows.size > 0 and np.all(np.diff(rows) == 1)
        self.rows = (int(rows[0]), int(rows[-1]) + 1) if contiguous else rows
        self.inc = ops[0].mode == "inc"

    def step(self, state, ctx):
        if isinstance(self.rows, tuple):
            value = ctx.feed[self.rows[0] : self.rows[1]]
        else:
            value = tf.gather(ctx.feed, self.rows)
        self.signals.write(state, self.output, value, inc=self.inc)


def register_feed_builders(registry):
    registry.register(SimFeed, SimFeedBuilder)
