"""Examples for training, evaluation and prediction: checked, then served minibatch by
minibatch.

Inputs are ``{input Node: (n_examples, n_steps, node.size_out)}`` and targets ``{Probe:
(n_examples, n_samples, probe.size_in or 1)}`` (``n_samples`` is ``n_steps``, or fewer for a
probe with ``sample_every``). Every example starts from the initial state at time 0. Inputs
that are not given take the values the network computes itself (node functions, processes), as
in a run.
"""

import warnings
from dataclasses import dataclass

import keras
import numpy as np
import nengo
from nengo.exceptions import ValidationError


def probe_samples(probe, n_steps: int, dt: float) -> int:
    """How many samples ``probe`` records in ``n_steps`` steps."""
    if probe.sample_every is None:
        return n_steps
    steps = np.arange(1, n_steps + 1)
    return int(np.count_nonzero(steps % (probe.sample_every / dt) < 1))


@dataclass
class Examples:
    inputs: dict  # Feed -> (n_examples, n_steps, size)
    targets: dict  # Probe -> (n_examples, n_samples, size)
    n_examples: int
    n_steps: int


def _as_array(obj, values, what: str) -> np.ndarray:
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValidationError(f"{what} for {obj} is not a numeric array: {e}", attr=what) from e
    if values.ndim != 3:
        raise ValidationError(
            f"{what} for {obj} has shape {values.shape}; expected 3 axes (n_examples, n_steps, "
            "size)",
            attr=what,
        )
    if not np.all(np.isfinite(values)):
        raise ValidationError(f"{what} for {obj} contains NaN or infinite values", attr=what)
    return values


def check_examples(feeds, probes, dt, inputs, targets, n_steps=None) -> Examples:
    """Validate ``inputs`` and ``targets`` (either may be None); ``n_steps`` is needed only
    when no input is given."""
    checked_inputs, checked_targets = {}, {}
    counts = []  # (object, n_examples)
    for obj, values in (inputs or {}).items():
        feed = feeds.feed_of(obj, "inputs")
        values = _as_array(obj, values, "inputs")
        if values.shape[2] != feed.size:
            raise ValidationError(
                f"inputs for {obj} have {values.shape[2]} dimensions; the node has size_out "
                f"{feed.size}",
                attr="inputs",
            )
        if n_steps is not None and values.shape[1] != n_steps:
            raise ValidationError(
                f"inputs for {obj} have {values.shape[1]} steps; expected {n_steps}",
                attr="inputs",
            )
        n_steps = values.shape[1]
        checked_inputs[feed] = values
        counts.append((obj, values.shape[0]))
    for probe, values in (targets or {}).items():
        if not isinstance(probe, nengo.Probe) or probe not in probes:
            raise ValidationError(f"{probe} is not a Probe of this simulator", attr="targets")
        values = _as_array(probe, values, "targets")
        if values.shape[2] not in (probe.size_in, 1):
            raise ValidationError(
                f"targets for {probe} have {values.shape[2]} dimensions; expected the probe's "
                f"size_in, {probe.size_in} (or 1, e.g. class labels for a sparse loss)",
                attr="targets",
            )
        if n_steps is None and probe.sample_every is None:
            n_steps = values.shape[1]
        checked_targets[probe] = values
        counts.append((probe, values.shape[0]))
    if n_steps is None or n_steps < 1:
        raise ValidationError(
            f"Cannot tell how many steps to simulate (n_steps={n_steps!r}): give inputs, targets "
            "or n_steps >= 1",
            attr="n_steps",
        )
    for probe, values in checked_targets.items():
        expected = probe_samples(probe, n_steps, dt)
        if values.shape[1] != expected:
            raise ValidationError(
                f"targets for {probe} have {values.shape[1]} steps; expected {expected} "
                f"({n_steps} steps simulated)",
                attr="targets",
            )
    sizes = {n for _, n in counts}
    if len(sizes) > 1:
        listed = ", ".join(f"{obj}: {n}" for obj, n in counts)
        raise ValidationError(f"Inputs and targets differ in number of examples ({listed})", "")
    n_examples = sizes.pop() if sizes else None
    return Examples(checked_inputs, checked_targets, n_examples, int(n_steps))


def usable_examples(n_examples: int, minibatch_size: int, what: str) -> int:
    """Examples run in whole minibatches: the count used, with a warning for a remainder."""
    if n_examples < minibatch_size:
        raise ValidationError(
            f"{what}: {n_examples} examples is fewer than one minibatch ({minibatch_size}); "
            "give more examples or build the simulator with a smaller minibatch_size",
            attr="minibatch_size",
        )
    used = n_examples - n_examples % minibatch_size
    if used < n_examples:
        warnings.warn(
            f"{what}: {n_examples} examples do not divide into minibatches of "
            f"{minibatch_size}; the last {n_examples - used} are left out"
        )
    return used


class Minibatches(keras.utils.PyDataset):
    """Keras' view of the examples: minibatch ``i`` as ``(feeds, targets)``.

    ``feeds`` is ``(minibatch, n_steps, n_feed_rows)``: the rows the network computes itself
    (``default_rows``, ``(n_steps, n_feed_rows, minibatch)``) with the given inputs written over
    them. Shuffling draws from ``rng``, so the same seed gives the same order.
    """

    def __init__(self, examples, n_used, minibatch_size, default_rows, names, rng, shuffle, dtype):
        super().__init__()
        self.examples = examples
        self.minibatch_size = minibatch_size
        self.default_rows = np.transpose(default_rows, (2, 0, 1)).astype(dtype)
        self.names = names  # Probe -> output name
        self.rng = rng
        self.shuffle = shuffle
        self.dtype = dtype
        self.order = np.arange(n_used)
        self.n_used = n_used
        self._reorder()

    def _reorder(self):
        if self.shuffle:
            self.order = self.rng.permutation(self.examples.n_examples or self.n_used)[
                : self.n_used
            ]

    def __len__(self):
        return self.n_used // self.minibatch_size

    def __getitem__(self, i):
        index = self.order[i * self.minibatch_size : (i + 1) * self.minibatch_size]
        feeds = self.default_rows.copy()
        for feed, values in self.examples.inputs.items():
            feeds[:, :, feed.rows] = values[index]
        if not self.examples.targets:
            return (feeds,)
        targets = {
            self.names[probe]: values[index].astype(self.dtype)
            for probe, values in self.examples.targets.items()
        }
        return feeds, targets

    def on_epoch_end(self):
        self._reorder()
