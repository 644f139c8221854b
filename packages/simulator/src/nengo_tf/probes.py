"""Probe data: what runs returned, in nengo's shapes, with ``sample_every`` applied."""

from collections.abc import Mapping

import nengo
import numpy as np
import tensorflow as tf


class ProbeRecorder:
    """Collects probe outputs run by run.

    Shapes: ``(n_samples, *signal.shape)`` when the simulator has no minibatch (as nengo), and
    ``(minibatch_size, n_samples, *signal.shape)`` otherwise.
    """

    def __init__(self, probes, model, dt: float, minibatch_size):
        self.probes = list(probes)
        self.signals = [model.sig[p]["in"] for p in self.probes]
        self.dt = dt
        self.minibatch_size = minibatch_size
        self.chunks = {p: [] for p in self.probes}
        self._cache = {}

    def combined_blocks(self, access) -> list:
        """One block per storage class holding every probed signal of that class, so the loop
        records all probes with a handful of reads per step, not one per probe."""
        groups = {}
        for i, sig in enumerate(self.signals):
            ts = access[sig]
            groups.setdefault((ts.dtype, ts.minibatched), []).append(i)
        self._groups = list(groups.values())
        return [access.combine([self.signals[i] for i in group]) for group in self._groups]

    def probe_tensors(self, outputs) -> list:
        """The outputs of `combined_blocks` (``(n_steps, size, minibatch)`` tensors, from time 0)
        split per probe as ``(minibatch, n_samples, probe size)`` tensors, ``sample_every``
        applied: what training compares with targets."""
        per_probe = [None] * len(self.probes)
        for group, values in zip(self._groups, outputs):
            offsets = np.cumsum([0] + [self.signals[i].size for i in group])
            for j, i in enumerate(group):
                value = tf.transpose(values[:, offsets[j] : offsets[j + 1]], (2, 0, 1))
                probe = self.probes[i]
                if probe.sample_every is not None:
                    steps = tf.range(1, tf.shape(value)[1] + 1, dtype=tf.float64)
                    keep = tf.math.floormod(steps, probe.sample_every / self.dt) < 1
                    value = tf.boolean_mask(value, keep, axis=1)
                per_probe[i] = value
        return per_probe

    def append_combined(self, outputs, start_step: int) -> None:
        """`append` for the outputs of `combined_blocks`, each ``(n_steps, size, minibatch)``."""
        per_probe = [None] * len(self.probes)
        for group, values in zip(self._groups, outputs):
            offsets = np.cumsum([0] + [self.signals[i].size for i in group])
            for j, i in enumerate(group):
                per_probe[i] = values[:, offsets[j] : offsets[j + 1]]
        self.append(per_probe, start_step)

    def clear(self):
        for chunks in self.chunks.values():
            chunks.clear()
        self._cache.clear()

    def append(self, outputs, start_step: int) -> None:
        """Add one run's outputs, each ``(n_steps, size, minibatch)``."""
        for probe, sig, values in zip(self.probes, self.signals, outputs):
            steps = np.arange(start_step + 1, start_step + len(values) + 1)
            if probe.sample_every is not None:
                period = probe.sample_every / self.dt
                values = values[steps % period < 1]
            values = np.moveaxis(values, -1, 0).reshape((values.shape[-1], len(values)) + sig.shape)
            self.chunks[probe].append(values[0] if self.minibatch_size is None else values)
            self._cache.pop(probe, None)

    def __getitem__(self, probe) -> np.ndarray:
        if probe not in self._cache:
            chunks = self.chunks[probe]
            if chunks:
                data = np.concatenate(chunks, axis=0 if self.minibatch_size is None else 1)
            else:
                sig = self.signals[self.probes.index(probe)]
                shape = (0,) + sig.shape
                data = np.zeros(
                    shape if self.minibatch_size is None else (self.minibatch_size,) + shape
                )
            data.setflags(write=False)
            self._cache[probe] = data
        return self._cache[probe]


class SimulationData(Mapping):
    """``sim.data``: probe data for Probes, built parameters (``model.params``) for the rest."""

    def __init__(self, recorder: ProbeRecorder, params: dict):
        self.recorder = recorder
        self.params = params

    def __getitem__(self, key):
        if isinstance(key, nengo.Probe) and key in self.recorder.chunks:
            return self.recorder[key]
        return self.params[key]

    def __iter__(self):
        return iter(self.params)

    def __len__(self):
        return len(self.params)

    def reset(self):
        self.recorder._cache.clear()
