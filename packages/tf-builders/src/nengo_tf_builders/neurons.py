"""Native TensorFlow neuron models, matching nengo's ``step`` methods update for update.

Each model is a pure function ``(J, params, state, dt) -> (output, new_state)`` on tensors shaped
``(n_neurons, minibatch)``; ``params`` are per-neuron columns ``(n_neurons, 1)`` so that a merged
group of ensembles with different parameters runs as one computation.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import tensorflow as tf
from nengo import neurons as nn
from nengo.builder.neurons import SimNeurons

from .builder import OpBuilder
from .fallback import NumpyOpBuilder
from .soft_lif import SoftLIFRate, log1p_inverse, soft_lif_rate_tf


def _relu(J, p, s, dt):
    return p["amplitude"] * tf.maximum(J, 0), {}


def _spiking_relu(J, p, s, dt):
    voltage = s["voltage"] + tf.maximum(J, 0) * dt
    n_spikes = tf.floor(voltage)
    return (p["amplitude"] / dt) * n_spikes, {"voltage": voltage - n_spikes}


def _sigmoid(J, p, s, dt):
    return (1 / p["tau_ref"]) / (1 + tf.exp(-J)), {}


def _tanh(J, p, s, dt):
    return (1 / p["tau_ref"]) * tf.tanh(J), {}


def _lif_rate(J, p, s, dt):
    j = J - 1
    # below the smallest normal number the rate is 0 (and so is its gradient, not NaN)
    active = j > np.finfo(J.dtype.as_numpy_dtype).tiny
    j_safe = tf.where(active, j, tf.ones_like(j))
    rate = p["amplitude"] / (p["tau_ref"] + p["tau_rc"] * log1p_inverse(j_safe))
    return tf.where(active, rate, tf.zeros_like(rate)), {}


def _soft_lif_rate(J, p, s, dt):
    return soft_lif_rate_tf(J, p["sigma"], p["tau_rc"], p["tau_ref"], p["amplitude"]), {}


def _rate_passthrough(J, p, s, dt):
    """The rate a rates-to-spikes type (RegularSpiking(base), ...) converts: its input."""
    return p["amplitude"] * J, {}


def _lif(J, p, s, dt):
    tau_rc = p["tau_rc"]
    refractory_time = s["refractory_time"] - dt
    delta_t = tf.clip_by_value(dt - refractory_time, 0, dt)
    voltage = s["voltage"] - (J - s["voltage"]) * tf.math.expm1(-delta_t / tau_rc)
    spiked = voltage > 1
    output = tf.cast(spiked, J.dtype) * (p["amplitude"] / dt)
    # spike time from v(0) = 1 solved back in time; only used where the neuron spiked
    overshoot = tf.where(spiked, (voltage - 1) / (J - 1), tf.zeros_like(J))
    t_spike = dt + tau_rc * tf.math.log1p(-overshoot)
    voltage = tf.maximum(voltage, p["min_voltage"])
    voltage = tf.where(spiked, tf.zeros_like(voltage), voltage)
    refractory_time = tf.where(spiked, p["tau_ref"] + t_spike, refractory_time)
    return output, {"voltage": voltage, "refractory_time": refractory_time}


def _adaptive(base):
    """The adaptive version of ``base``: input reduced by an adaptation state that follows the
    output, ``n += dt / tau_n * (inc_n * output - n)``."""

    def step(J, p, s, dt):
        n = s["adaptation"]
        output, new_state = base(J - n, p, s, dt)
        new_state["adaptation"] = n + (dt / p["tau_n"]) * (p["inc_n"] * output - n)
        return output, new_state

    return step


def _izhikevich(J, p, s, dt):
    J = tf.maximum(J, -30.0)
    voltage, recovery = s["voltage"], s["recovery"]
    voltage = voltage + dt * 1000 * (0.04 * voltage**2 + 5 * voltage + 140 - recovery + J)
    spiked = voltage >= 30
    output = tf.cast(spiked, J.dtype) / dt
    voltage = tf.where(spiked, p["reset_voltage"] + tf.zeros_like(voltage), voltage)
    recovery = recovery + dt * 1000 * (p["tau_recovery"] * (p["coupling"] * voltage - recovery))
    recovery = tf.where(spiked, recovery + p["reset_recovery"], recovery)
    return output, {"voltage": voltage, "recovery": recovery}


def _regular_spiking(J, p, s, dt):
    voltage = s["voltage"] + dt * J
    n_spikes = tf.floor(voltage)
    return (p["amplitude"] / dt) * n_spikes, {"voltage": voltage - n_spikes}


def _signed(J, p):
    """``|J|`` and the sign to give spikes: rates are signed only for negative base types."""
    negative = p["negative"] > 0
    return tf.where(negative, tf.abs(J), J), tf.where(negative, tf.sign(J), tf.ones_like(J))


def _stochastic_spiking(J, p, s, dt, seed):
    rate, sign = _signed(J, p)
    expected = dt * rate
    n_spikes = tf.floor(expected)
    uniform = tf.random.stateless_uniform(tf.shape(J), seed, dtype=J.dtype)
    n_spikes += tf.cast(uniform < expected - n_spikes, J.dtype)
    return (p["amplitude"] / dt) * n_spikes * sign, {}


def _poisson_spiking(J, p, s, dt, seed):
    rate, sign = _signed(J, p)
    n_spikes = tf.random.stateless_poisson(tf.shape(J), seed, rate * dt, dtype=J.dtype)
    return (p["amplitude"] / dt) * n_spikes * sign, {}


@dataclass(frozen=True)
class NeuronModel:
    params: tuple  # names of the neuron type's parameters used by ``step``
    step: Callable
    random: bool = False  # ``step`` takes a stateless random seed as its last argument
    # the differentiable rate version used in training steps (None: ``step`` itself). It
    # returns only the state it updates: other state (voltages, ...) is held.
    training_step: Optional[Callable] = None
    # True when ``step`` has no useful gradient and there is no rate version to train with
    spiking_only: bool = False
    xla_compatible: bool = True  # False when ``step`` uses ops XLA cannot compile


NATIVE_NEURONS = {
    nn.RectifiedLinear: NeuronModel(("amplitude",), _relu),
    nn.SpikingRectifiedLinear: NeuronModel(("amplitude",), _spiking_relu, training_step=_relu),
    nn.Sigmoid: NeuronModel(("tau_ref",), _sigmoid),
    nn.Tanh: NeuronModel(("tau_ref",), _tanh),
    nn.LIFRate: NeuronModel(("tau_rc", "tau_ref", "amplitude"), _lif_rate),
    SoftLIFRate: NeuronModel(("tau_rc", "tau_ref", "amplitude", "sigma"), _soft_lif_rate),
    # LIF's training step is chosen by the ``lif_smoothing`` setting (see SimNeuronsBuilder)
    nn.LIF: NeuronModel(
        ("tau_rc", "tau_ref", "min_voltage", "amplitude"), _lif, training_step=_lif_rate
    ),
    nn.AdaptiveLIFRate: NeuronModel(
        ("tau_rc", "tau_ref", "amplitude", "tau_n", "inc_n"), _adaptive(_lif_rate)
    ),
    nn.AdaptiveLIF: NeuronModel(
        ("tau_rc", "tau_ref", "min_voltage", "amplitude", "tau_n", "inc_n"),
        _adaptive(_lif),
        training_step=_adaptive(_lif_rate),
    ),
    nn.Izhikevich: NeuronModel(
        ("tau_recovery", "coupling", "reset_voltage", "reset_recovery"),
        _izhikevich,
        spiking_only=True,
    ),
    # the spiking half of RegularSpiking(base): nengo runs the base rate type as its own op
    nn.RegularSpiking: NeuronModel(
        ("amplitude",), _regular_spiking, training_step=_rate_passthrough
    ),
    # random spike counts from TensorFlow's counter-based generators: same seed, same spikes,
    # the same statistics as nengo's (but not nengo's NumPy random stream)
    nn.StochasticSpiking: NeuronModel(
        ("amplitude", "negative"), _stochastic_spiking, True, training_step=_rate_passthrough
    ),
    nn.PoissonSpiking: NeuronModel(
        ("amplitude", "negative"),
        _poisson_spiking,
        True,
        training_step=_rate_passthrough,
        xla_compatible=False,  # XLA has no Poisson sampler
    ),
}

# with ``lif_smoothing`` set, LIF-based types train through SoftLIFRate(sigma=lif_smoothing)
SMOOTHED_TRAINING_STEPS = {
    nn.LIF: _soft_lif_rate,
    nn.AdaptiveLIF: _adaptive(_soft_lif_rate),
}


class SimNeuronsBuilder(OpBuilder):
    """Neuron updates of one native neuron type, for every ensemble in the group at once."""

    @classmethod
    def specialize(cls, op):
        # exact type: subclasses (e.g. AdaptiveLIF) add state the parent's maths would ignore
        return cls if type(op.neurons) in NATIVE_NEURONS else NumpyOpBuilder

    @classmethod
    def merge_key(cls, op, dt):
        return type(op.neurons)

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        self.model = NATIVE_NEURONS[type(ops[0].neurons)]
        self.J = signals.combine([op.J for op in ops])
        self.output = signals.combine([op.output for op in ops])
        self.state = {
            name: signals.combine([op.state[name] for op in ops]) for name in ops[0].state
        }
        dtype = config.dtype.as_numpy_dtype
        self.params = {
            name: np.concatenate(
                [np.full(op.J.size, getattr(op.neurons, name), dtype=dtype) for op in ops]
            )[:, None]
            for name in self.model.params
        }
        neuron_type = type(ops[0].neurons)
        self.training_step = self.model.training_step or self.model.step
        if config.lif_smoothing is not None and neuron_type in SMOOTHED_TRAINING_STEPS:
            self.training_step = SMOOTHED_TRAINING_STEPS[neuron_type]
            self.params["sigma"] = np.asarray([[config.lif_smoothing]], dtype=dtype)
        self.differentiable = not self.model.spiking_only
        self.xla_compatible = self.model.xla_compatible
        if self.model.random:
            self.seed = tf.Variable(0, dtype=tf.int64, trainable=False, name="neuron_seed")

    def reset(self, rng, seed):
        if self.model.random:
            self.seed.assign(seed)

    def step(self, state, ctx):
        read = self.signals.read_batched
        J = tf.reshape(read(state, self.J), (self.J.size, -1))
        current = {
            name: tf.reshape(read(state, ts), (ts.size, -1)) for name, ts in self.state.items()
        }
        params = {name: tf.constant(value) for name, value in self.params.items()}
        args = (J, params, current, self.config.dt)
        if ctx.training and self.model.training_step is not None:
            output, new_state = self.training_step(*args)
        else:
            if self.model.random:
                args += (tf.stack([self.seed.read_value(), ctx.step]),)
            output, new_state = self.model.step(*args)
        self.signals.write(state, self.output, output)
        for name, value in new_state.items():
            self.signals.write(state, self.state[name], value)


def register_neuron_builders(registry):
    registry.register(SimNeurons, SimNeuronsBuilder)
