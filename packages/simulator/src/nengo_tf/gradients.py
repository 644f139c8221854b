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

    def sample(size):
        return rng.choice(size, size=min(n_checks, size), replace=False)

    # inputs
    flat = feeds.numpy().ravel()
    idx = sample(flat.size)
    numeric = []
    for i in idx:
        up, down = flat.copy(), flat.copy()
        up[i] += delta
        down[i] -= delta
        f_up = objective(tf.constant(up.reshape(feeds.shape), feeds.dtype))
        f_down = objective(tf.constant(down.reshape(feeds.shape), feeds.dtype))
        numeric.append(float(f_up - f_down) / (2 * delta))
    analytic = _flat(grads[0], feeds.shape)[idx]
    checks.append(GradientCheck("inputs", idx, analytic, np.array(numeric)))

    # trainable variables
    for variable, grad in zip(variables, grads[1:]):
        original = variable.numpy()
        idx = sample(original.size)
        numeric = []
        for i in idx:
            values = []
            for sign in (1, -1):
                perturbed = original.copy().ravel()
                perturbed[i] += sign * delta
                variable.assign(perturbed.reshape(original.shape))
                values.append(float(objective(feeds)))
            numeric.append((values[0] - values[1]) / (2 * delta))
        variable.assign(original)
        analytic = _flat(grad, original.shape)[idx]
        checks.append(GradientCheck(variable.name, idx, analytic, np.array(numeric)))

    for check in checks:
        bad = check.failures(atol, rtol)
        if np.any(bad):
            k = int(np.argmax(bad))
            raise SimulationError(
                f"Gradient check failed for {check.name} element {check.indices[k]}: "
                f"analytic {check.analytic[k]:.6g}, numeric {check.numeric[k]:.6g} "
                f"({int(bad.sum())} of {bad.size} checked elements differ)"
            )
    return checks


def _flat(grad, shape) -> np.ndarray:
    if grad is None:  # the objective does not depend on it
        return np.zeros(int(np.prod(shape)))
    return tf.convert_to_tensor(grad).numpy().ravel()
