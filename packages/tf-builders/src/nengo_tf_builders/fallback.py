"""Any operator that has nengo's ``make_step`` runs through it, via ``tf.numpy_function``.

This is the bridge for operators and neuron or process types that have no native builder yet
(user-defined ``NeuronType``s and ``Process``es, and some nengo operators). It is exact (it runs
nengo's own code) but slow: each step leaves the graph, runs on the CPU, once per minibatch
element, and is not differentiable. A warning names the operator when it is used.
"""

import warnings

import numpy as np
import tensorflow as tf
from nengo.builder.signal import SignalDict

from .builder import OpBuilder
from .callbacks import element_rngs, py_call


def _describe(op) -> str:
    detail = getattr(op, "neurons", None) or getattr(op, "process", None)
    name = type(op).__name__
    return f"{name} ({type(detail).__name__})" if detail is not None else name


class NumpyOpBuilder(OpBuilder):
    """Runs each operator's own nengo ``make_step`` function on NumPy copies of its signals."""

    calls_python = True
    xla_compatible = False
    differentiable = False  # NumPy code: TensorFlow cannot differentiate through it

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (op,) = ops
        warnings.warn(
            f"nengo-tf has no TensorFlow builder for {_describe(op)}; running its NumPy step "
            "through tf.numpy_function (slower, CPU only, not differentiable)"
        )
        self.bases = list(dict.fromkeys(sig.base for sig in op.all_signals))
        written = {sig.base for sig in op.sets + op.incs + op.updates}
        self.written = [base for base in self.bases if base in written]
        self.blocks = [signals[base] for base in self.bases]
        self.written_blocks = [signals[base] for base in self.written]
        self.elements = []  # per minibatch element: (SignalDict, step function)

    def reset(self, rng, seed):
        (op,) = self.ops
        self.elements = []
        for element_rng in element_rngs(rng, seed, self.config.minibatch_size):
            values = SignalDict()
            for base in self.bases:
                values.init(base)
                if not base.sparse and not values[base].flags.writeable:
                    # constants are copied in each step (training may change them)
                    dict.__setitem__(values, base, np.array(values[base]))
            self.elements.append((values, op.make_step(values, self.config.dt, element_rng)))

    @staticmethod
    def _storage(values, base):
        array = values[base]
        return array.data if base.sparse else array

    def _run(self, *inputs):
        outputs = [np.empty((ts.size, self.config.minibatch_size)) for ts in self.written_blocks]
        for b, (values, step) in enumerate(self.elements):
            for base, ts, value in zip(self.bases, self.blocks, inputs):
                target = self._storage(values, base)
                target[...] = (value[..., b] if ts.minibatched else value).reshape(target.shape)
            step()
            for out, base in zip(outputs, self.written):
                out[:, b] = np.ravel(self._storage(values, base))
        return [
            out.astype(ts.dtype.as_numpy_dtype) for out, ts in zip(outputs, self.written_blocks)
        ]

    def step(self, state, ctx):
        inputs = [self.signals.read(state, ts) for ts in self.blocks]
        outputs = py_call(
            self._run,
            inputs,
            [ts.dtype for ts in self.written_blocks],
            self.config.callback_errors,
            name=type(self.ops[0]).__name__,
        )
        for ts, value in zip(self.written_blocks, outputs):
            self.signals.write(state, ts, tf.reshape(value, (ts.size, -1)))
