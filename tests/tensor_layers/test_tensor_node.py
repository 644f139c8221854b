"""TensorNode and tensor_layer: TensorFlow functions and Keras layers inside nengo models."""

import numpy as np
import pytest
import nengo
import tensorflow as tf
from nengo.exceptions import BuildError, ValidationError

import nengo_tf
from nengo_tf import TensorNode, tensor_layer


def test_tensor_node_with_time_minibatch_and_unroll():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.5, -1.0])
        node = TensorNode(lambda t, x: x * 2 + t, size_in=2)
        nengo.Connection(stim, node, synapse=None)
        probe = nengo.Probe(node)
    data = np.stack([np.full((7, 2), 1.0), np.full((7, 2), -1.0)])
    with nengo_tf.Simulator(net, minibatch_size=2, unroll_simulation=3, progress_bar=False) as sim:
        sim.run_steps(7, data={stim: data})
    t = 0.001 * np.arange(1, 8)[:, None]
    np.testing.assert_allclose(sim.data[probe][0], np.broadcast_to(2 + t, (7, 2)), rtol=1e-6)
    np.testing.assert_allclose(sim.data[probe][1], np.broadcast_to(-2 + t, (7, 2)), rtol=1e-6)


def test_size_out_is_inferred_and_time_optional():
    with nengo.Network():
        node = TensorNode(lambda x: tf.concat([x, x], axis=1), size_in=3, pass_time=False)
        source = TensorNode(lambda t, x: tf.ones((tf.shape(x)[0], 4)) * t)  # no input
    assert node.size_out == 6
    assert source.size_in == 0 and source.size_out == 4


@pytest.mark.parametrize("kind", ["instance", "class"])
def test_keras_layers(kind):
    class Doubler(tf.keras.layers.Layer):
        def call(self, x):
            return 2 * x

    layer = tf.keras.layers.Dense(3) if kind == "instance" else Doubler
    with nengo.Network() as net:
        stim = nengo.Node([0.5, 0.25])
        node = TensorNode(layer, size_in=2, pass_time=False)
        nengo.Connection(stim, node, synapse=None)
        probe = nengo.Probe(node)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(3)
    func = node.tensor_func
    expected = func(tf.constant([[0.5, 0.25]])).numpy()
    np.testing.assert_allclose(sim.data[probe], np.repeat(expected, 3, axis=0), rtol=1e-6)


def test_bad_tensor_functions_are_named():
    with nengo.Network():
        with pytest.raises(ValidationError, match="tensor_func must be"):
            TensorNode("not a function", size_in=1)
        with pytest.raises(ValidationError, match=r"returned shape \(3,\)"):
            TensorNode(lambda x: tf.ones(3), size_in=1, pass_time=False)
        stim = nengo.Node([1.0])
        with pytest.raises(ValidationError, match=r"shape_in \(2, 2\) has 4 elements"):
            tensor_layer(stim, tf.keras.layers.Dense, shape_in=(2, 2), units=1)
    with nengo.Network() as net:
        wrong = TensorNode(lambda x: tf.ones((1, 5)), size_in=1, size_out=2, pass_time=False)
        nengo.Connection(nengo.Node([1.0]), wrong)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        with pytest.raises(BuildError, match=r"returned shape \(1, 5\); expected \(1, 2\)"):
            sim.run_steps(1)


def test_data_for_tensor_node_is_rejected():
    with nengo.Network() as net:
        source = TensorNode(lambda t, x: tf.ones((tf.shape(x)[0], 1)))
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        with pytest.raises(ValidationError, match="not an input node"):
            sim.run_steps(2, data={source: np.zeros((1, 2, 1))})


def test_conv_pooling_stack_with_lif_matches_keras():
    """Keras conv + pooling layers around LIF ensembles, on minibatched images: the
    non-spiking parts equal the same layers applied in plain Keras."""
    rng = np.random.RandomState(0)
    images = rng.uniform(0, 1, size=(3, 6, 6, 1)).astype(np.float32)
    with nengo.Network(seed=1) as net:
        image = nengo.Node(np.zeros(36))
        conv = tensor_layer(
            image, tf.keras.layers.Conv2D, shape_in=(6, 6, 1), filters=4, kernel_size=3
        )
        spikes = tensor_layer(
            conv,
            nengo.LIF(amplitude=0.01),
            max_rates=nengo.dists.Choice([100]),
            intercepts=nengo.dists.Choice([0]),
        )
        pooled = tensor_layer(
            spikes,
            tf.keras.layers.AveragePooling2D,
            shape_in=(4, 4, 4),
            pool_size=2,
            synapse=0.01,
        )
        dense = tensor_layer(pooled, tf.keras.layers.Dense, units=2, synapse=None)
        conv_pooled = tensor_layer(
            conv, tf.keras.layers.AveragePooling2D, shape_in=(4, 4, 4), pool_size=2
        )
        p_conv, p_pool, p_dense = nengo.Probe(conv), nengo.Probe(pooled), nengo.Probe(dense)
        p_conv_pooled = nengo.Probe(conv_pooled)
        p_spikes = nengo.Probe(spikes)
    n_steps = 50
    data = np.repeat(images.reshape(3, 1, 36), n_steps, axis=1)
    with nengo_tf.Simulator(net, minibatch_size=3, progress_bar=False) as sim:
        sim.run_steps(n_steps, data={image: data})

    keras_conv = conv.tensor_func.layer(images).numpy().reshape(3, -1)
    np.testing.assert_allclose(sim.data[p_conv][:, -1], keras_conv, rtol=1e-5, atol=1e-6)
    assert np.any(sim.data[p_spikes] > 0)  # LIF neurons spike
    keras_pooled = conv_pooled.tensor_func.layer(keras_conv.reshape(3, 4, 4, 4)).numpy()
    np.testing.assert_allclose(
        sim.data[p_conv_pooled][:, -1], keras_pooled.reshape(3, -1), rtol=1e-5, atol=1e-6
    )
    # Dense applied by Keras to the pooled values the simulation saw
    keras_dense = dense.tensor_func.layer(sim.data[p_pool].reshape(-1, 16)).numpy()
    np.testing.assert_allclose(sim.data[p_dense].reshape(-1, 2), keras_dense, rtol=1e-5, atol=1e-6)


def test_keras_weights_get_gradients_through_the_simulation():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.5, 0.2])
        dense = tensor_layer(stim, tf.keras.layers.Dense, units=1)
        ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate())
        nengo.Connection(dense, ens)
        nengo.Probe(ens, synapse=0.01)
    with nengo_tf.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        weights = sim.trainable_weights
        # the Keras weights, and one array holding the nengo parameters
        keras_ids = {id(w) for w in dense.tensor_func.layer.trainable_weights}
        assert keras_ids < {id(w) for w in weights}
        assert len(weights) == len(keras_ids) + 1
        feeds = tf.constant(sim._feeds.values(0, 10, {}))
        with tf.GradientTape() as tape:
            (outputs,) = sim._loop.forward(feeds, training=False)
            loss = tf.reduce_sum(outputs[-1] ** 2)
        grads = tape.gradient(loss, weights)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)
    assert any(np.any(g.numpy() != 0) for g in grads)


def test_wrong_output_dtype_is_a_build_error():
    with nengo.Network() as net:
        node = TensorNode(lambda x: x > 0, size_in=1, size_out=1, pass_time=False, label="flags")
        nengo.Connection(nengo.Node([1.0]), node)
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        with pytest.raises(BuildError, match="flags.*dtype bool"):
            sim.run_steps(1)
