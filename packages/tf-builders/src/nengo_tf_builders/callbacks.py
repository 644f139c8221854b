"""Running Python code inside the TF graph (``tf.numpy_function``), with errors kept intact."""

import numpy as np
import tensorflow as tf


def element_rngs(rng: np.random.RandomState, seed: int, n: int) -> list:
    """One random stream per minibatch element: the simulator's own stream for the first (so a
    batch of one draws exactly what nengo draws), independent seeded streams for the rest."""
    return [rng] + [np.random.RandomState([seed % 2**32, b]) for b in range(1, n)]


def py_call(func, inputs, Tout, errors: list, name: str):
    """``tf.numpy_function`` that records the Python exception it raises in ``errors``, so the
    simulator can re-raise the original (TF would report it as its own error type)."""

    def guarded(*args):
        try:
            return func(*args)
        except Exception as e:
            errors.append(e)
            raise

    return tf.numpy_function(guarded, inputs, Tout, stateful=True, name=name)
