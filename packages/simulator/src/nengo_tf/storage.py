"""Which signals are stored how, and the tf.Variables that hold them between runs."""

from collections.abc import Mapping

import numpy as np
import tensorflow as tf
from nengo_graph_optimizer import base_size
from nengo_tf_builders import ArraySpec


def signal_classes(float_dtype: tf.DType, time_signal=None, trainable=frozenset()):
    """The storage class of a base signal: ``(dtype name, minibatched, trainable)``.

    Float signals take the simulator's dtype, except simulation time, which stays float64 so that
    functions of time see exactly the times nengo gives them. A signal is minibatched when some
    operator writes it: everything else is a constant that all minibatch elements share.
    ``trainable`` bases (parameters that training may change) are constants kept in arrays of
    their own, which are the trainable variables.
    """
    time_base = None if time_signal is None else time_signal.base

    def signal_class(base, written: bool) -> tuple:
        dtype = np.dtype(base.dtype)
        if dtype.kind == "f":
            name = "float64" if base is time_base else float_dtype.name
        else:
            name = dtype.name
        return name, written, base in trainable

    return signal_class


class Storage:
    """One tf.Variable per base array: the state carried between runs, constants, and trainable
    parameters (constants that training changes)."""

    def __init__(self, layout, minibatch_size: int):
        self.layout = layout
        self.minibatch_size = minibatch_size
        self.specs = {}
        self.initial = {}
        self.trainable_names = []
        for array in layout.arrays:
            dtype_name, minibatched, trainable = array.signal_class
            spec = ArraySpec(array.name, tf.as_dtype(dtype_name), minibatched, array.size)
            self.specs[array.name] = spec
            value = array.initial_value().astype(dtype_name)
            self.initial[array.name] = (
                np.tile(value[:, None], (1, minibatch_size)) if minibatched else value
            )
            if trainable:
                self.trainable_names.append(array.name)
        self.variables = {
            name: tf.Variable(value, trainable=name in self.trainable_names, name=name)
            for name, value in self.initial.items()
        }
        # training and prediction start every sequence from here, without touching the state
        self.initial_state = {
            name: tf.Variable(self.initial[name], trainable=False, name=f"initial_{name}")
            for name in self.state_names
        }

    @property
    def state_names(self) -> list:
        """Arrays that change during a run (carried through the loop)."""
        return [name for name, spec in self.specs.items() if spec.minibatched]

    @property
    def constant_names(self) -> list:
        return [name for name, spec in self.specs.items() if not spec.minibatched]

    def state_values(self) -> dict:
        """Current value of every signal that changes during a run: base Signal → array
        ``(size, minibatch)``. Keyed by signal, not array, so a rebuilt layout can load it."""
        values = {}
        for array in self.layout.arrays:
            if self.specs[array.name].minibatched:
                current = self.variables[array.name].numpy()
                for sig, offset in zip(array.signals, array.offsets):
                    values[sig] = current[offset : offset + base_size(sig)]
        return values

    def load_state_values(self, values: dict) -> None:
        """Inverse of `state_values`."""
        for array in self.layout.arrays:
            if self.specs[array.name].minibatched:
                current = self.variables[array.name].numpy()
                for sig, offset in zip(array.signals, array.offsets):
                    if sig in values:
                        current[offset : offset + base_size(sig)] = values[sig]
                self.variables[array.name].assign(current)

    @property
    def trainable_variables(self) -> list:
        return [self.variables[name] for name in self.trainable_names]

    def reset(self, include_trainable: bool = True) -> None:
        """Back to the initial state; trainable parameters to their built values too if
        ``include_trainable`` (the other constants never change)."""
        for name, initial in self.initial_state.items():
            self.variables[name].assign(initial)
        if include_trainable:
            for name in self.trainable_names:
                self.variables[name].assign(self.initial[name])

    def read_signal(self, sig) -> np.ndarray:
        """The current value of a non-minibatched base signal (e.g. a trainable parameter)."""
        array, indices = self.layout.locate(sig)
        return self.variables[array.name].numpy()[indices]

    def write_signal(self, sig, value) -> None:
        """Set a non-minibatched base signal (e.g. when loading trained parameters)."""
        array, indices = self.layout.locate(sig)
        variable = self.variables[array.name]
        current = variable.numpy()
        current[indices] = value
        variable.assign(current)


class SignalValues(Mapping):
    """``sim.signals``: the current value of any signal as a read-only NumPy array, shaped
    ``(minibatch, *signal.shape)`` for minibatched signals when the simulator has a minibatch,
    else ``signal.shape``. Reads copy the value out of TensorFlow (for inspection, not for speed).
    """

    def __init__(self, access, storage: Storage, squeeze_batch: bool):
        self.access = access
        self.storage = storage
        self.squeeze_batch = squeeze_batch

    def __getitem__(self, sig) -> np.ndarray:
        ts = self.access[sig]
        value = self.access.read(self.storage.variables, ts).numpy()
        if ts.minibatched:
            value = np.moveaxis(value, -1, 0)
            if self.squeeze_batch:
                value = value[0]
        value.setflags(write=False)
        return value

    def __iter__(self):
        return iter(self.access.layout.placement)

    def __len__(self):
        return len(self.access.layout.placement)
