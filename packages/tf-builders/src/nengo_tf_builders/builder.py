"""The builder contract: prepare a group of operators once, then emit one timestep."""

from dataclasses import dataclass, field
from typing import Hashable, Optional, Sequence

import numpy as np
import tensorflow as tf
from nengo.builder.operator import Operator

from .signals import SignalAccess


@dataclass(frozen=True)
class BuildConfig:
    """Settings every builder may read."""

    dt: float
    dtype: tf.DType = tf.float32  # dtype of all float signals
    minibatch_size: int = 1  # internal batch size (1 when the user asked for None)
    # LIF neurons train through SoftLIFRate(sigma=lif_smoothing) when set, else LIFRate
    lif_smoothing: Optional[float] = None
    # exceptions raised inside Python callbacks, re-raised by the simulator after TF reports
    # the failed callback (TF would otherwise turn them into its own error types)
    callback_errors: list = field(default_factory=list, compare=False)


@dataclass
class StepContext:
    """Per-timestep values the simulator hands to builders."""

    step: tf.Tensor  # absolute step number of the step being computed (int64 scalar, 1-based)
    feed: tf.Tensor  # this step's input values, (n_feed_rows, minibatch)
    # a Python bool fixed at trace time: training steps swap spiking neurons for differentiable
    # rate versions (and tell Keras layers they are training)
    training: bool = False


class OpBuilder:
    """Base class of builders.

    ``__init__(ops, signals, config)`` does all set-up that does not depend on the state (index
    blocks, constants). ``step(state, ctx)`` reads and writes ``state`` (a dict of base-array
    tensors) through ``signals`` and emits one timestep of TensorFlow for the whole group.
    """

    calls_python = False  # True for builders that run Python code inside the graph
    # False where the step uses TensorFlow ops XLA cannot compile (Python callbacks included):
    # the simulator's loop then runs in TensorFlow's graph executor, and only the groups
    # between such builders are compiled with XLA
    xla_compatible = True
    # False where the step has no gradient (spikes without a rate version, NumPy callbacks):
    # the simulator warns before training through such a group
    differentiable = True

    def __init__(self, ops: Sequence[Operator], signals: SignalAccess, config: BuildConfig):
        self.ops = tuple(ops)
        self.signals = signals
        self.config = config

    @classmethod
    def specialize(cls, op: Operator) -> type:
        """The builder class that should build ``op`` (lets one entry dispatch on details)."""
        return cls

    @classmethod
    def merge_key(cls, op: Operator, dt: float) -> Optional[Hashable]:
        """Operators with equal non-None keys may be built together; None never merges."""
        return None

    def reset(self, rng: np.random.RandomState, seed: int) -> None:
        """Reset any Python-side state (called by the simulator on build and reset).

        ``rng`` is the simulator's random stream (drawn from in plan order, as nengo draws in
        step order); ``seed`` is unique to this builder and seeds the streams of minibatch
        elements beyond the first.
        """

    def step(self, state: dict, ctx: StepContext) -> None:
        raise NotImplementedError
