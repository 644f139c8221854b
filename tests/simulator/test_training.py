"""Training with sim.train / sim.loss and compile / fit / evaluate / predict."""

import glob
import os

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

import nengo_tf


def square_net(neuron_type=None, seed=0):
    with nengo.Network(seed=seed) as net:
        net.config[nengo.Connection].synapse = None
        stim = nengo.Node(np.zeros(1), label="stim")
        ens = nengo.Ensemble(40, 1, neuron_type=neuron_type or nengo.LIF(amplitude=0.01))
        out = nengo.Node(size_in=1)
        nengo.Connection(stim, ens)
        nengo.Connection(ens, out)
        probe = nengo.Probe(out, label="out")
    return net, stim, probe


def square_data(n=64, steps=1, seed=0):
    x = np.random.RandomState(seed).uniform(-1, 1, size=(n, steps, 1))
    return x, x**2


def test_train_lowers_the_loss_and_leaves_the_simulation_alone():
    net, stim, probe = square_net()
    x, y = square_data()
    with nengo_tf.Simulator(net, minibatch_size=16, progress_bar=False) as sim:
        sim.run_steps(5)
        state = {k: v.numpy().copy() for k, v in sim._storage.variables.items()}
        probed = sim.data[probe].copy()
        before = sim.loss({stim: x}, {probe: y}, training=True)
        history = sim.train({stim: x}, {probe: y}, keras.optimizers.Adam(0.02), n_epochs=30)
        after = sim.loss({stim: x}, {probe: y}, training=True)
        assert after < before / 10
        assert history.history["loss"][-1] < history.history["loss"][0]
        # training changed only the trainable parameters: state, time and probe data are kept
        assert sim.n_steps == 5
        np.testing.assert_array_equal(sim.data[probe], probed)
        trainable = set(sim._storage.trainable_names)
        for name, value in state.items():
            if name not in trainable:
                np.testing.assert_array_equal(sim._storage.variables[name].numpy(), value)
        sim.run_steps(2)
        assert sim.n_steps == 7


def test_same_seed_same_training():
    results = []
    for _ in range(2):
        net, stim, probe = square_net()
        x, y = square_data()
        with nengo_tf.Simulator(net, minibatch_size=16, progress_bar=False, seed=3) as sim:
            sim.train({stim: x}, {probe: y}, keras.optimizers.Adam(0.02), n_epochs=3)
            results.append([w.numpy() for w in sim.trainable_weights])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_spiking_neurons_train_through_rates():
    net, stim, probe = square_net(nengo.LIF(amplitude=0.01))
    x, y = square_data(16)
    with nengo_tf.Simulator(net, minibatch_size=16, progress_bar=False) as sim:
        spiking = sim.loss({stim: x}, {probe: y}, training=False)
        rates = sim.loss({stim: x}, {probe: y}, training=True)
    rate_net, stim, probe = square_net(nengo.LIFRate(amplitude=0.01))
    with nengo_tf.Simulator(rate_net, minibatch_size=16, progress_bar=False) as sim:
        np.testing.assert_allclose(sim.loss({stim: x}, {probe: y}), rates, rtol=1e-5)
    assert abs(spiking - rates) > 1e-3  # a single step of spikes is not the rate


def test_lif_smoothing_trains_through_soft_lif_rate():
    # (neuron outputs: decoders are solved with each type's own rate curve, so they differ)
    outputs = []
    for neuron_type, smoothing in [
        (nengo.LIF(amplitude=0.01), 0.05),
        (nengo_tf.SoftLIFRate(sigma=0.05, amplitude=0.01), None),
    ]:
        net, stim, _ = square_net(neuron_type)
        with net:
            neurons = nengo.Probe(net.ensembles[0].neurons)
            nengo_tf.configure_settings(lif_smoothing=smoothing)
        x, _ = square_data(16)
        with nengo_tf.Simulator(net, minibatch_size=16, progress_bar=False) as sim:
            target = np.zeros((16, 1, 40))
            outputs.append(sim.loss({stim: x}, {neurons: target}, training=True))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5)


def test_objectives_callable_and_per_probe():
    net, stim, probe = square_net()
    with net:
        p2 = nengo.Probe(net.ensembles[0], label="decoded")
    x, y = square_data(16)
    with nengo_tf.Simulator(net, minibatch_size=16, progress_bar=False) as sim:
        mse = sim.loss({stim: x}, {probe: y})
        mae = sim.loss({stim: x}, {probe: y}, objective=lambda o, t: tf.abs(o - t))
        both = sim.loss({stim: x}, {probe: y, p2: y}, objective={probe: "mse", p2: "mse"})
        alone = sim.loss({stim: x}, {p2: y})
        assert mae != pytest.approx(mse)
        assert both == pytest.approx(mse + alone, rel=1e-5)  # per-probe losses are summed
        with pytest.raises(ValidationError, match="Unknown objective 'mae'"):
            sim.loss({stim: x}, {probe: y}, objective="mae")
        with pytest.raises(ValidationError, match="No objective"):
            sim.loss({stim: x}, {probe: y, p2: y}, objective={probe: "mse"})


def test_bad_training_data_is_named():
    net, stim, probe = square_net()
    other = nengo.Node([0.0], add_to_container=False)
    x, y = square_data(16)
    with nengo_tf.Simulator(net, minibatch_size=8, progress_bar=False) as sim:
        opt = keras.optimizers.SGD(0.1)
        with pytest.raises(ValidationError, match="not an input node"):
            sim.train({other: x}, {probe: y}, opt)
        with pytest.raises(ValidationError, match="not a Probe"):
            sim.train({stim: x}, {nengo.Probe(stim, add_to_container=False): y}, opt)
        with pytest.raises(ValidationError, match="stim.*2 dimensions"):
            sim.train({stim: np.zeros((16, 1, 2))}, {probe: y}, opt)
        with pytest.raises(ValidationError, match="out.*shape"):
            sim.train({stim: x}, {probe: y[:, 0]}, opt)
        with pytest.raises(ValidationError, match="stim.*NaN"):
            sim.train({stim: x * np.nan}, {probe: y}, opt)
        with pytest.raises(ValidationError, match="out.*NaN"):
            sim.train({stim: x}, {probe: y * np.nan}, opt)
        with pytest.raises(ValidationError, match="number of examples"):
            sim.train({stim: x[:8]}, {probe: y}, opt)
        with pytest.raises(ValidationError, match="out.*2 steps; expected 1"):
            sim.train({stim: x}, {probe: np.zeros((16, 2, 1))}, opt)
        with pytest.raises(ValidationError, match="fewer than one minibatch"):
            sim.train({stim: x[:4]}, {probe: y[:4]}, opt)
        with pytest.warns(UserWarning, match="last 4 are left out"):
            sim.train({stim: x[:12]}, {probe: y[:12]}, opt)


def test_keras_style_api():
    # rate neurons: evaluate and predict simulate the real neurons, training their rate version
    net, stim, probe = square_net(nengo.LIFRate(amplitude=0.01))
    x, y = square_data(64)
    with nengo_tf.Simulator(net, minibatch_size=16, progress_bar=False) as sim:
        with pytest.raises(SimulationError, match="compile"):
            sim.fit({stim: x}, {probe: y})
        sim.compile(
            keras.optimizers.Adam(0.02),
            loss={probe: keras.losses.MeanSquaredError()},
            metrics={probe: keras.metrics.MeanAbsoluteError()},
        )
        stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=100)
        history = sim.fit(
            {stim: x},
            {probe: y},
            epochs=10,
            validation_data=({stim: x[:32]}, {probe: y[:32]}),
            callbacks=[stopper],
        )
        assert set(history.history) >= {"loss", "out_loss", "out_mean_absolute_error", "val_loss"}
        assert history.history["loss"][-1] < history.history["loss"][0]
        results = sim.evaluate({stim: x}, {probe: y})
        assert results["loss"] == pytest.approx(history.history["loss"][-1], rel=0.5)
        outputs = sim.predict({stim: x})
        assert outputs[probe].shape == (64, 1, 1)
        # predict is a run from the initial state: the same as run_steps after a reset
        sim.run_steps(1, data={stim: x[:16]})
        np.testing.assert_allclose(outputs[probe][:16], sim.data[probe], atol=1e-6)


def test_predict_over_time_without_inputs():
    with nengo.Network(seed=0) as net:
        ens = nengo.Ensemble(10, 1)
        nengo.Connection(nengo.Node(np.sin), ens)
        probe = nengo.Probe(ens, synapse=0.01, sample_every=0.002)
    with nengo_tf.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        out = sim.predict(n_steps=10)[probe]
        sim.run_steps(10)
        assert out.shape == (2, 5, 1)
        np.testing.assert_allclose(out, sim.data[probe], atol=1e-6)


def test_progress_bar_shows_epochs_and_loss(capsys):
    net, stim, probe = square_net()
    x, y = square_data(16)
    with nengo_tf.Simulator(net, minibatch_size=8) as sim:
        capsys.readouterr()
        sim.train({stim: x}, {probe: y}, keras.optimizers.SGD(0.1), n_epochs=2)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "loss" in out


def test_tensorboard_logs_losses_per_probe(tmp_path):
    net, stim, probe = square_net()
    x, y = square_data(16)
    with nengo_tf.Simulator(net, minibatch_size=8, progress_bar=False, tensorboard=tmp_path) as sim:
        sim.train({stim: x}, {probe: y}, keras.optimizers.SGD(0.1), n_epochs=2)
    files = glob.glob(str(tmp_path / "run_1" / "train" / "events*"))
    assert files
    tags = set()
    for event in tf.compat.v1.train.summary_iterator(files[0]):
        tags.update(v.tag for v in event.summary.value)
    assert {"epoch_loss", "epoch_out_loss"} <= tags


def test_train_profile_is_written(tmp_path, capsys):
    net, stim, probe = square_net()
    x, y = square_data(16)
    with nengo_tf.Simulator(net, minibatch_size=8, progress_bar=False) as sim:
        sim.train({stim: x}, {probe: y}, keras.optimizers.SGD(0.1), profile=str(tmp_path))
    assert str(tmp_path) in capsys.readouterr().out
    assert any(f for _, _, f in os.walk(tmp_path))


def test_inference_only_cannot_train():
    net, stim, probe = square_net()
    with net:
        nengo_tf.configure_settings(inference_only=True)
    x, y = square_data(16)
    with nengo_tf.Simulator(net, minibatch_size=8, progress_bar=False) as sim:
        assert sim.trainable_weights == []
        with pytest.raises(SimulationError, match="inference_only"):
            sim.train({stim: x}, {probe: y}, keras.optimizers.SGD(0.1))


def test_reset_undoes_training_and_soft_reset_keeps_it():
    net, stim, probe = square_net()
    x, y = square_data(16)
    with nengo_tf.Simulator(net, minibatch_size=8, progress_bar=False) as sim:
        initial = sim.trainable_weights[0].numpy().copy()
        sim.train({stim: x}, {probe: y}, keras.optimizers.SGD(0.1))
        trained = sim.trainable_weights[0].numpy().copy()
        assert not np.allclose(initial, trained)
        sim.soft_reset()
        np.testing.assert_array_equal(sim.trainable_weights[0].numpy(), trained)
        sim.reset()
        np.testing.assert_array_equal(sim.trainable_weights[0].numpy(), initial)


def test_online_learning_still_runs_and_is_not_trained():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(np.zeros(1))
        pre = nengo.Ensemble(30, 1)
        post = nengo.Node(size_in=1)
        nengo.Connection(stim, pre)
        conn = nengo.Connection(pre, post, learning_rule_type=nengo.PES(1e-3))
        nengo.Connection(post, conn.learning_rule)
        net.config.configures(nengo.Connection)
        nengo_tf.configure_settings(trainable=None)
        net.config[conn].trainable = True
        probe = nengo.Probe(post)
    with pytest.warns(UserWarning, match="online learning rule"):
        sim = nengo_tf.Simulator(net, minibatch_size=4, progress_bar=False)
    with sim:
        weights = sim.model.sig[conn]["weights"]
        trainable = {p.signal for p in sim._parameters}
        assert weights.base not in trainable
        x = np.ones((4, 5, 1))
        sim.train({stim: x}, {probe: np.zeros((4, 5, 1))}, keras.optimizers.SGD(0.01))
        before = sim.signals[weights].copy()
        sim.run_steps(20, data={stim: np.ones((4, 20, 1))})
        assert not np.allclose(sim.signals[weights], before)  # PES learned during the run


def test_trainable_config_is_inherited():
    with nengo.Network(seed=0) as net:
        nengo_tf.configure_settings(trainable=False)
        a = nengo.Ensemble(5, 1)
        with nengo.Network() as sub:
            b = nengo.Ensemble(5, 1)
            c = nengo.Ensemble(5, 1)
        conn = nengo.Connection(a, b)
        net.config[sub].trainable = True
        net.config[c].trainable = False
        net.config[c.neurons].trainable = True
    with nengo_tf.Simulator(net, progress_bar=False) as sim:
        names = {p.name for p in sim._parameters}
    assert names == {
        "networks[0].ensembles[0].encoders",
        "networks[0].ensembles[0].neurons.bias",
        "networks[0].ensembles[1].neurons.bias",
    }
    assert conn not in {p.obj for p in sim._parameters}
    with net:
        with pytest.raises(ValidationError, match="trainable must be"):
            nengo_tf.configure_settings(trainable="yes")
