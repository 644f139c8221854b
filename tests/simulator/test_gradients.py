"""check_gradients on every differentiable builder: TensorFlow's gradients equal central
differences (float64), through the training versions of spiking neurons."""

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError

import nengo_tf

NEURONS = {
    "LIFRate": nengo.LIFRate(amplitude=0.05),
    "SoftLIFRate": nengo_tf.SoftLIFRate(sigma=0.1, amplitude=0.05),
    "LIF": nengo.LIF(amplitude=0.05),
    "AdaptiveLIF": nengo.AdaptiveLIF(amplitude=0.05),
    "AdaptiveLIFRate": nengo.AdaptiveLIFRate(amplitude=0.05),
    "RectifiedLinear": nengo.RectifiedLinear(amplitude=0.01),
    "SpikingRectifiedLinear": nengo.SpikingRectifiedLinear(amplitude=0.01),
    "Sigmoid": nengo.Sigmoid(),
    "Tanh": nengo.Tanh(),
    "RegularSpiking": nengo.RegularSpiking(nengo.LIFRate(), amplitude=0.05),
    "PoissonSpiking": nengo.PoissonSpiking(nengo.LIFRate(), amplitude=0.05),
}


def check(net, inputs, **kwargs):
    with nengo_tf.Simulator(net, minibatch_size=2, dtype="float64", progress_bar=False) as sim:
        checks = sim.check_gradients(inputs=inputs, delta=1e-6, **kwargs)
    assert len(checks) >= 2  # the inputs and at least one variable
    assert any(np.any(c.analytic != 0) for c in checks)


@pytest.mark.parametrize("name", sorted(NEURONS))
def test_neurons_and_synapses(name):
    with nengo.Network(seed=1) as net:
        stim = nengo.Node(np.zeros(2))
        a = nengo.Ensemble(12, 2, neuron_type=NEURONS[name])
        b = nengo.Ensemble(8, 1, neuron_type=nengo.LIFRate(amplitude=0.05))
        nengo.Connection(stim, a, synapse=nengo.Alpha(0.005))
        nengo.Connection(a, b, function=lambda x: x[0] * x[1], synapse=0.01)
        nengo.Connection(a.neurons, b.neurons, transform=np.ones((8, 12)) * 1e-3)
        nengo.Probe(b, synapse=nengo.LinearFilter([1], [0.003, 1]))
    x = np.random.RandomState(0).uniform(-1, 1, size=(2, 6, 2))
    check(net, {stim: x}, n_checks=6)


def test_sparse_convolution_and_tensor_nodes():
    with nengo.Network(seed=2) as net:
        stim = nengo.Node(np.zeros(16))
        conv = nengo.Node(size_in=2 * 3 * 3)
        nengo.Connection(
            stim,
            conv,
            synapse=None,
            transform=nengo.Convolution(
                2, (4, 4, 1), kernel_size=(2, 2), init=nengo.dists.Gaussian(0, 0.5)
            ),
        )
        dense = nengo_tf.tensor_layer(
            conv, keras.layers.Dense, units=4, activation="tanh", dtype="float64"
        )
        ens = nengo.Ensemble(10, 4, neuron_type=nengo.Tanh())
        sparse = nengo.Sparse(
            (10, 4), indices=[[0, 0], [3, 1], [5, 2], [9, 3]], init=[1.0, -1.0, 0.5, 2.0]
        )
        nengo.Connection(dense, ens.neurons, transform=sparse, synapse=0.005)
        nengo.Probe(ens, synapse=0.01)
    x = np.random.RandomState(1).uniform(0, 1, size=(2, 4, 16))
    check(net, {stim: x}, n_checks=6)


def test_a_wrong_gradient_is_caught():
    @tf.custom_gradient
    def doubled_gradient(x):
        return tf.sin(x), lambda dy: 2 * dy * tf.cos(x)

    with nengo.Network(seed=0) as net:
        stim = nengo.Node(np.zeros(1))
        node = nengo_tf.TensorNode(doubled_gradient, size_in=1, size_out=1, pass_time=False)
        nengo.Connection(stim, node, synapse=None)
        nengo.Probe(node)
    with pytest.raises(SimulationError, match="Gradient check failed for inputs"):
        check(net, {stim: np.full((2, 3, 1), 0.3)})


@pytest.mark.parametrize("neuron_type", [nengo.LIFRate(), nengo_tf.SoftLIFRate(sigma=0.02)])
def test_no_nan_gradient_at_threshold(neuron_type):
    """Inputs right at and around the firing threshold give finite gradients."""
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(np.zeros(5))
        ens = nengo.Ensemble(5, 1, neuron_type=neuron_type, gain=np.ones(5), bias=np.zeros(5))
        nengo.Connection(stim, ens.neurons, synapse=None)
        probe = nengo.Probe(ens.neurons)
    j = np.array([1.0, 1 + 1e-38, 1 + 1e-20, 1 - 1e-20, -1e6])
    with nengo_tf.Simulator(net, minibatch_size=1, progress_bar=False) as sim:
        feeds = tf.constant(j.reshape(1, 1, 5), tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(feeds)
            out = sim.trainer._forward(feeds, True)
            total = tf.reduce_sum(out[sim.trainer.names[probe]])
        grad = tape.gradient(total, feeds).numpy()
    assert np.all(np.isfinite(grad)), grad


def test_soft_lif_rate_matches_nengo_and_approaches_lif_rate():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=5), size_out=1)
        ens = nengo.Ensemble(30, 1, neuron_type=nengo_tf.SoftLIFRate(sigma=0.5))
        nengo.Connection(stim, ens)
        probe = nengo.Probe(ens.neurons)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(50)
    # (float64: far below threshold the soft rate is tiny but not 0, until z underflows)
    with nengo_tf.Simulator(net, progress_bar=False, dtype="float64") as sim:
        sim.run_steps(50)
    np.testing.assert_allclose(sim.data[probe], ref.data[probe], rtol=1e-10)
    J = np.linspace(-2, 5, 200)
    soft = nengo_tf.SoftLIFRate(sigma=1e-4).rates(J, 1.0, 0.0)
    np.testing.assert_allclose(soft, nengo.LIFRate().rates(J, 1.0, 0.0), atol=0.5)
    assert np.all(nengo_tf.SoftLIFRate(sigma=0.5).rates(J, 1.0, 0.0) > 0)
