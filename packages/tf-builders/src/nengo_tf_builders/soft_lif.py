"""``SoftLIFRate``: the LIF rate curve with its corner at threshold smoothed, so that it has a
useful gradient everywhere (Hunsberger & Eliasmith, 2015, "Spiking deep networks with LIF
neurons").

With ``j = J - 1`` the LIF rate is ``1 / (tau_ref + tau_rc * log(1 + 1 / j))`` for ``j > 0``. The
soft version replaces ``j`` by ``z = sigma * softplus(j / sigma)``, which tends to ``max(j, 0)`` as
``sigma`` goes to 0. Where ``z`` underflows (far below threshold) the rate is exactly 0 and so is
its gradient: both branches are computed on a safe value, so no NaN can leak through.
"""

import numpy as np
import tensorflow as tf
from nengo.neurons import LIFRate
from nengo.params import NumberParam


def soft_lif_rate_np(J, sigma, tau_rc, tau_ref, amplitude):
    """The SoftLIFRate curve in NumPy (what nengo.Simulator runs)."""
    z = sigma * np.logaddexp(0, (J - 1) / sigma)
    active = z > np.finfo(z.dtype).tiny
    z_safe = np.where(active, z, 1)
    return np.where(active, amplitude / (tau_ref + tau_rc * np.log1p(1 / z_safe)), 0)


def log1p_inverse(x):
    """``log(1 + 1/x)`` for ``x > 0`` whose gradient stays finite down to the smallest normal
    ``x``: the gradient of ``log1p(1 / x)`` goes through ``1 / x**2``, which overflows below
    about 1e-19 in float32 (and inf times a zero elsewhere in the chain is NaN). Below 1 it is
    computed as ``log1p(x) - log(x)`` (two terms of the same sign: no cancellation)."""
    big = x > 1
    ones = tf.ones_like(x)
    x_big = tf.where(big, x, ones)
    x_small = tf.where(big, ones, x)
    return tf.where(big, tf.math.log1p(1 / x_big), tf.math.log1p(x_small) - tf.math.log(x_small))


def soft_lif_rate_tf(J, sigma, tau_rc, tau_ref, amplitude):
    """The SoftLIFRate curve in TensorFlow (parameters broadcast against ``J``)."""
    z = sigma * tf.math.softplus((J - 1) / sigma)
    active = z > np.finfo(J.dtype.as_numpy_dtype).tiny
    z_safe = tf.where(active, z, tf.ones_like(z))
    rate = amplitude / (tau_ref + tau_rc * log1p_inverse(z_safe))
    return tf.where(active, rate, tf.zeros_like(rate))


class SoftLIFRate(LIFRate):
    """LIF rate neurons with a smoothed threshold, for training spiking networks.

    Parameters
    ----------
    sigma : float
        Smoothing width (in units of the normalized input current); smaller is closer to LIFRate.
    tau_rc, tau_ref, amplitude, initial_state
        As for `nengo.LIFRate`.
    """

    sigma = NumberParam("sigma", low=0, low_open=True)

    def __init__(self, sigma=1.0, tau_rc=0.02, tau_ref=0.002, amplitude=1, initial_state=None):
        super().__init__(
            tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amplitude, initial_state=initial_state
        )
        self.sigma = sigma

    def rates(self, x, gain, bias):
        # LIFRate.rates calls LIFRate.step by name: the soft curve must be asked for here
        J = self.current(x, gain, bias)
        out = np.zeros_like(J)
        self.step(dt=1, J=J, output=out)
        return out

    def step(self, dt, J, output):
        output[...] = soft_lif_rate_np(J, self.sigma, self.tau_rc, self.tau_ref, self.amplitude)
