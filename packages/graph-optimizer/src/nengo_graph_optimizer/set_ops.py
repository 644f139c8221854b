""" "Set" variants of nengo's increment operators, made by the reset-increment simplification.

Each behaves like its nengo parent but overwrites its output instead of adding to it, so it
declares the output in ``sets`` (which orders it before readers and after nothing else) and
brings its own NumPy ``make_step``. Backends build them with their parent's builder, choosing
set or increment from ``op.incs``.
"""

import numpy as np
from nengo.builder.operator import DotInc, ElementwiseInc, Reset


class _SetsY:
    """Turns an increment of ``Y`` into a set: ``Y`` moves from ``incs`` to ``sets``."""

    def _set_instead_of_inc(self):
        self.sets, self.incs = self.incs, []

    @property
    def Y(self):
        return self.sets[0]


class ElementwiseSet(_SetsY, ElementwiseInc):
    """``Y[...] = A * X``."""

    def __init__(self, A, X, Y, tag=None):
        super().__init__(A, X, Y, tag=tag)
        self._set_instead_of_inc()

    def make_step(self, signals, dt, rng):
        A, X, Y = signals[self.A], signals[self.X], signals[self.Y]

        def step_elementwiseset():
            Y[...] = A * X

        return step_elementwiseset


class DotSet(_SetsY, DotInc):
    """``Y[...] = dot(A, X)``."""

    def __init__(self, A, X, Y, reshape=None, tag=None):
        super().__init__(A, X, Y, reshape=reshape, tag=tag)
        self._set_instead_of_inc()

    def make_step(self, signals, dt, rng):
        A, X, Y = signals[self.A], signals[self.X], signals[self.Y]

        def step_dotset():
            Y[...] = A.dot(X).reshape(Y.shape)

        return step_dotset


class ResetArray(Reset):
    """``dst[...] = value`` for an array ``value`` (nengo's Reset takes a scalar)."""

    def __init__(self, dst, value, tag=None):
        super().__init__(dst, 0, tag=tag)
        self.value = np.array(np.broadcast_to(value, dst.shape), dtype=dst.dtype)
        self.value.setflags(write=False)
