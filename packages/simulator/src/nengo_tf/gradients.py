"""``check_gradients``: TensorFlow's gradients of the built model against finite differences."""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from nengo.exceptions import SimulationError


@dataclass
class GradientCheck:
    """Analytic and numeric derivatives of one tensor's sampled elements."""

    name: str
    indices: np.ndarray  # flat indices of the checked elements
    analytic: np.ndarray
    numeric: np.ndarray

    def failures(self, atol: float, rtol: float) -> np.ndarray:
        bad = np.abs(self.analytic - self.numeric) > atol + rtol * np.abs(self.numeric)
        return bad | ~np.isfinite(self.analytic)


def check_gradients(
    sim, trainer, feeds, training=True, n_checks=10, delta=1e-3, atol=1e-5, rtol=1e-3, seed=0
) -> list:
    """Compare d(objective)/d(feeds) and d(objective)/d(each trainable variable) with central
    differences at ``n_checks`` random elements of each. The objective is a fixed random
    weighting of every probe's output, so every output counts. Raises SimulationError on a
    mismatch or a non-finite gradient; returns the checks."""
    rng = np.random.RandomState(seed)
    feeds = tf.constant(feeds)
    forward = tf.function(lambda f: trainer._forward(f, training), autograph=False)
    outputs = forward(feeds)
    weights = {
        name: tf.constant(rng.uniform(-1, 1, size=value.shape), value.dtype)
        for name, value in outputs.items()
        if value.dtype.is_floating
    }

    def objective(f):
        out = forward(f)
        return tf.add_n([tf.reduce_sum(out[n] * w) for n, w in weights.items()])

    variables = sim._trainable_variables()
    with tf.GradientTape() as tape:
        tape.watch(feeds)
        value = objective(feeds)
    grads = tape.gradient(value, [feeds] + variables)

    checks = []

    def check(name, original, grad, evaluate):
        idx = rng.choice(original.size, size=min(n_checks, original.size), replace=False)
        numeric = _central_differences(evaluate, original, idx, delta)
        analytic = _flat(grad, original.shape)[idx]
        checks.append(GradientCheck(name, idx, analytic, numeric))

    check("inputs", feeds.numpy(), grads[0], lambda a: objective(tf.constant(a, feeds.dtype)))
    for variable, grad in zip(variables, grads[1:]):
        original = variable.numpy()

        def perturbed(a, variable=variable):
            variable.assign(a)
            return objective(feeds)

        check(variable.name, original, grad, perturbed)
        variable.assign(original)

    for result in checks:
        bad = result.failures(atol, rtol)
        if np.any(bad):
            k = int(np.argmax(bad))
            raise SimulationError(
                f"Gradient check failed for {result.name} element {result.indices[k]}: "
                f"analytic {result.analytic[k]:.6g}, numeric {result.numeric[k]:.6g} "
                f"({int(bad.sum())} of {bad.size} checked elements differ)"
            )
    return checks


def _central_differences(evaluate, original: np.ndarray, idx, delta: float) -> np.ndarray:
    """d evaluate / d original at the flat indices ``idx``, by central differences."""
    derivatives = []
    for i in idx:
        values = []
        for sign in (1, -1):
            perturbed = original.copy().ravel()
            perturbed[i] += sign * delta
            values.append(float(evaluate(perturbed.reshape(original.shape))))
        derivatives.append((values[0] - values[1]) / (2 * delta))
    return np.array(derivatives)


def _flat(grad, shape) -> np.ndarray:
    if grad is None:  # the objective does not depend on it
        return np.zeros(int(np.prod(shape)))
    return tf.convert_to_tensor(grad).numpy().ravel()
