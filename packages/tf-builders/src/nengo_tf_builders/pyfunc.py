"""Nodes whose Python function reads the simulation (``SimPyFunc`` with an input)."""

import numpy as np
import tensorflow as tf
from nengo.builder.operator import SimPyFunc
from nengo.exceptions import SimulationError

from .builder import OpBuilder
from .callbacks import py_call
from .fallback import NumpyOpBuilder


def function_name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def checked_output(fn, y, shape):
    """``y`` as a float array of ``shape``, or the SimulationError nengo raises for it."""
    if y is None:
        raise SimulationError(f"Function '{function_name(fn)}' returned non-finite value")
    try:
        value = np.broadcast_to(np.asarray(y, dtype=np.float64), shape)
    except (TypeError, ValueError) as e:
        raise SimulationError(
            f"Function '{function_name(fn)}' returned a value {y!r} of invalid type {type(y)!r}"
        ) from e
    if not np.all(np.isfinite(value)):
        raise SimulationError(f"Function '{function_name(fn)}' returned non-finite value")
    return value


def call_node_function(op, dt, step, x=None):
    """Call a node function the way nengo does, at the time of absolute step ``step``."""
    args = () if x is None else (np.array(x, dtype=np.float64),)
    t = float(step * dt)
    return op.fn(t, *args) if op.t is not None else op.fn(*args)


class SimPyFuncBuilder(OpBuilder):
    """Calls the node function once per minibatch element inside the graph."""

    calls_python = True
    xla_compatible = False
    differentiable = False  # NumPy code: TensorFlow cannot differentiate through it

    @classmethod
    def specialize(cls, op):
        # nodes without input are computed ahead of the loop by the simulator; if one reaches a
        # builder it still runs, through nengo's own step function
        return cls if op.x is not None else NumpyOpBuilder

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (op,) = ops
        self.op = op
        self.x = signals[op.x]
        self.output = None if op.output is None else signals[op.output]

    def _run(self, step, x):
        op, shape = self.op, (self.output.size,) if self.output is not None else None
        outputs = []
        for b in range(x.shape[-1]):
            y = call_node_function(op, self.config.dt, step, x[..., b])
            if shape is not None:
                outputs.append(checked_output(op.fn, y, op.output.shape).ravel())
        if shape is None:
            return np.zeros((0, x.shape[-1]), dtype=self.config.dtype.as_numpy_dtype)
        return np.stack(outputs, axis=-1).astype(self.config.dtype.as_numpy_dtype)

    def step(self, state, ctx):
        x = self.signals.read_batched(state, self.x)
        y = py_call(
            self._run,
            [ctx.step, x],
            self.config.dtype,
            self.config.callback_errors,
            name="node_function",
        )
        if self.output is not None:
            self.signals.write(state, self.output, tf.reshape(y, (self.output.size, -1)))


def register_pyfunc_builders(registry):
    registry.register(SimPyFunc, SimPyFuncBuilder)
