"""Deep-learning weight-initialisation distributions as nengo Distributions."""

import numpy as np
from nengo.dists import Distribution
from nengo.exceptions import ValidationError
from nengo.params import EnumParam, NumberParam

__version__ = "0.1.0"

# Standard deviation of a unit normal truncated at +-2: dividing by it gives a truncated normal
# whose variance is the one asked for.
_TRUNCATED_STD = 0.87962566103423978


class TruncatedNormal(Distribution):
    """Normal distribution with samples outside ``mean +- limit`` redrawn.

    Parameters
    ----------
    mean : float
        Mean of the (untruncated) normal.
    stddev : float
        Standard deviation of the (untruncated) normal; > 0.
    limit : float, optional
        Half-width of the allowed interval around ``mean``; > 0. Defaults to ``2 * stddev``.
    """

    mean = NumberParam("mean")
    stddev = NumberParam("stddev", low=0, low_open=True)
    limit = NumberParam("limit", low=0, low_open=True)

    def __init__(self, mean=0, stddev=1, limit=None):
        super().__init__()
        self.mean = mean
        self.stddev = stddev
        self.limit = 2 * stddev if limit is None else limit

    def sample(self, n, d=None, rng=np.random):
        shape = self._sample_shape(n, d)
        samples = rng.normal(self.mean, self.stddev, size=shape)
        outside = np.abs(samples - self.mean) > self.limit
        while np.any(outside):
            samples[outside] = rng.normal(self.mean, self.stddev, size=np.count_nonzero(outside))
            outside = np.abs(samples - self.mean) > self.limit
        return samples


class VarianceScaling(Distribution):
    """Zero-mean samples with variance ``scale / fan``.

    For ``sample(n, d)`` the result is a transform of shape ``(d_out, d_in) = (n, d)``:
    ``fan_out = n``, ``fan_in = d`` (1 when ``d`` is None), ``fan_avg = (fan_in + fan_out) / 2``.
    ``distribution="uniform"`` draws from ``U(-sqrt(3 v), sqrt(3 v))``; ``"normal"`` from a normal
    truncated at two standard deviations and rescaled so that the variance is exactly ``v``.
    """

    scale = NumberParam("scale", low=0, low_open=True)
    mode = EnumParam("mode", values=("fan_in", "fan_out", "fan_avg"))
    distribution = EnumParam("distribution", values=("uniform", "normal"))

    def __init__(self, scale=1, mode="fan_avg", distribution="uniform"):
        super().__init__()
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def variance(self, n, d=None) -> float:
        """The variance of the samples of ``sample(n, d)``."""
        fan_in, fan_out = (1 if d is None else d), n
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
        return self.scale / max(1.0, fan[self.mode])

    def sample(self, n, d=None, rng=np.random):
        shape = self._sample_shape(n, d)
        variance = self.variance(n, d)
        if self.distribution == "uniform":
            limit = np.sqrt(3 * variance)
            return rng.uniform(-limit, limit, size=shape)
        stddev = np.sqrt(variance) / _TRUNCATED_STD
        return TruncatedNormal(stddev=stddev).sample(n, d, rng=rng)


class Glorot(VarianceScaling):
    """Glorot (Xavier) initialisation: variance ``scale / fan_avg``."""

    def __init__(self, scale=1, distribution="uniform"):
        super().__init__(scale=scale, mode="fan_avg", distribution=distribution)


class He(VarianceScaling):
    """He initialisation: variance ``2 * scale / fan_in``."""

    def __init__(self, scale=1, distribution="normal"):
        super().__init__(scale=2 * scale, mode="fan_in", distribution=distribution)


__all__ = ["Glorot", "He", "TruncatedNormal", "VarianceScaling", "ValidationError"]
