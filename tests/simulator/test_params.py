"""Trained parameters: .npz files, printing, get_nengo_params / freeze_params, pickling."""

import pickle

import keras
import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengo_tf


def negative(x):
    return -x


def two_layer_net(n_out=1, seed=0):
    with nengo.Network(seed=seed) as net:
        net.config[nengo.Connection].synapse = None
        stim = nengo.Node(np.zeros(1), label="stim")
        a = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(amplitude=0.01))
        b = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(amplitude=0.01))
        out = nengo.Node(size_in=n_out)
        nengo.Connection(stim, a, transform=2.0)
        nengo.Connection(a, b, function=negative)
        nengo.Connection(b, out, transform=np.ones((n_out, 1)))
        nengo.Connection(a.neurons, b.neurons, transform=np.zeros((20, 20)))
        probe = nengo.Probe(out)
    return net, stim, probe


def trained(net, stim, probe, epochs=5):
    x = np.random.RandomState(0).uniform(-1, 1, size=(32, 1, 1))
    sim = nengo_tf.Simulator(net, minibatch_size=16, progress_bar=False, dtype="float64")
    sim.train({stim: x}, {probe: np.sin(3 * x)}, keras.optimizers.Adam(0.05), n_epochs=epochs)
    return sim, x


def test_save_and_load_into_a_rebuilt_network(tmp_path):
    sim, x = trained(*two_layer_net())
    with sim:
        path = sim.save_params(tmp_path / "params")
        assert path.endswith(".npz")
        expected = sim.predict({sim.model.toplevel.nodes[0]: x})
    net, stim, probe = two_layer_net()
    with nengo_tf.Simulator(net, minibatch_size=16, progress_bar=False, dtype="float64") as sim2:
        before = sim2.predict({stim: x})[probe]
        sim2.load_params(path)
        after = sim2.predict({stim: x})[probe]
    old_probe = next(iter(expected))
    np.testing.assert_allclose(after, expected[old_probe])
    assert not np.allclose(before, after)


def test_parameter_file_mismatches_are_named(tmp_path):
    sim, _ = trained(*two_layer_net(), epochs=1)
    with sim:
        path = sim.save_params(tmp_path / "p")
    net, _, _ = two_layer_net(n_out=2)
    with nengo_tf.Simulator(net, progress_bar=False, dtype="float64") as sim2:
        with pytest.raises(ValidationError, match=r"connections\[2\]\.weights.*shape"):
            sim2.load_params(path)
    with nengo.Network(seed=0) as other:
        nengo.Ensemble(5, 1)
    with nengo_tf.Simulator(other, progress_bar=False) as sim3:
        with pytest.raises(ValidationError, match=r"connections\[0\]\.weights.*does not have"):
            sim3.load_params(path)
        np.savez(tmp_path / "evil.npz", x=np.array([object()], dtype=object))
        with pytest.raises(ValidationError, match="not a plain parameter file"):
            sim3.load_params(tmp_path / "evil.npz")


def test_print_params(capsys):
    sim, _ = trained(*two_layer_net(), epochs=1)
    with sim:
        sim.print_params("after training")
    out = capsys.readouterr().out
    assert "after training" in out
    assert "ensembles[0].encoders (20, 1)" in out
    assert "connections[1].weights (1, 20)" in out


def test_frozen_parameters_run_in_nengo():
    net, stim, probe = two_layer_net()
    sim, x = trained(net, stim, probe, epochs=10)
    with sim:
        ens_params = sim.get_nengo_params(net.ensembles[0])
        assert set(ens_params) >= {"encoders", "gain", "bias", "normalize_encoders"}
        as_dict = sim.get_nengo_params(net.ensembles, as_dict=True)
        assert set(as_dict) == {"ensembles[0]", "ensembles[1]"}
        expected = sim.predict({stim: x[:16]})[probe]
        sim.freeze_params(net)
    with pytest.raises(ValidationError, match="not an Ensemble or Connection"):
        with nengo_tf.Simulator(net, progress_bar=False) as s:
            s.get_nengo_params(stim)
    # nengo's reference simulator now computes the trained function
    with net:
        stim.output = lambda t: x[0, 0]
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(1)
    np.testing.assert_allclose(ref.data[probe][0], expected[0, 0], rtol=1e-6, atol=1e-9)


def test_pickled_simulator_keeps_trained_params():
    sim, x = trained(*two_layer_net(), epochs=2)
    with sim:
        weights = [w.numpy() for w in sim.trainable_weights]
        clone = pickle.loads(pickle.dumps(sim))
    with clone:
        for a, b in zip(weights, clone.trainable_weights):
            np.testing.assert_array_equal(a, b.numpy())
