"""Train a small spiking ensemble network to compute a nonlinear function.

Two ensembles of LIF neurons in a chain first decode the identity; ``sim.train`` then trains
their encoders, biases and decoders so that the output is ``sin(pi x)`` instead. Training runs
through the rate version of LIF, so the loss before and after is measured the same way
(``sim.loss(..., training=True)``); the spiking network is then simulated over time, the way
nengo runs it, and its error reported too.

    python -m nengo_tf.examples.nonlinear
"""

from pathlib import Path

import keras
import nengo
import numpy as np

import nengo_tf


def target_function(x):
    return np.sin(np.pi * x)


def build_network(seed=0, synapse=None):
    """``synapse`` filters the spikes passed between the ensembles (None while training on
    single steps; a few ms when simulating spikes over time)."""
    with nengo.Network(seed=seed, label="nonlinear") as net:
        net.config[nengo.Connection].synapse = None
        stim = nengo.Node(np.zeros(1), label="x")
        a = nengo.Ensemble(50, 1, neuron_type=nengo.LIF(amplitude=0.01))
        b = nengo.Ensemble(50, 1, neuron_type=nengo.LIF(amplitude=0.01))
        out = nengo.Node(size_in=1, label="y")
        nengo.Connection(stim, a)
        nengo.Connection(a, b, synapse=synapse)
        nengo.Connection(b, out)
        probe = nengo.Probe(out, label="y")
    return net, stim, probe


def run(epochs=60, n_examples=512, minibatch_size=32, seed=0, out_dir="outputs", verbose=True):
    """Returns the losses before and after training, and the spiking error after."""
    say = print if verbose else (lambda *a, **k: None)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, size=(n_examples, 1, 1))
    y = target_function(x)
    net, stim, probe = build_network(seed)
    with nengo_tf.Simulator(
        net, minibatch_size=minibatch_size, seed=seed, progress_bar=False
    ) as sim:
        before = sim.loss({stim: x}, {probe: y}, training=True)
        sim.train({stim: x}, {probe: y}, keras.optimizers.Adam(0.01), n_epochs=epochs)
        after = sim.loss({stim: x}, {probe: y}, training=True)
        params = sim.save_params(f"{out_dir}/nonlinear_params")

    # spiking, over time: hold each input for 200 ms, read the filtered output at the end
    net, stim, probe = build_network(seed, synapse=0.01)
    with nengo_tf.Simulator(
        net, minibatch_size=minibatch_size, seed=seed, progress_bar=False
    ) as sim:
        sim.load_params(params)
        n_steps = 200
        test = np.linspace(-1, 1, minibatch_size)[:, None, None]
        outputs = sim.predict({stim: np.repeat(test, n_steps, axis=1)}, verbose=0)[probe]
        smoothed = nengo.Lowpass(0.05).filt(outputs, axis=1, dt=sim.dt)[:, -1]
        spiking_rmse = float(np.sqrt(np.mean((smoothed - target_function(test[:, 0])) ** 2)))
    say(
        f"loss (rate neurons) before training {before:.4f}, after {after:.5f} "
        f"({before / after:.0f}x lower); spiking network RMS error {spiking_rmse:.3f}"
    )
    return {"before": before, "after": after, "spiking_rmse": spiking_rmse}


if __name__ == "__main__":
    run()
