"""Spiking digit classification: train a convolutional network of LIF neurons with rate
approximations, then classify held-out digits with the same network spiking over time.

The data are scikit-learn's 8x8 handwritten digits (shipped with scikit-learn: nothing is
downloaded). The network is built from ``tensor_layer``s: Keras convolutions and a dense readout,
with a layer of nengo LIF neurons after each convolution. ``fit`` trains it through the
differentiable rate version of LIF; the trained weights are saved with ``save_params`` and
loaded into two copies of the network, one with LIFRate neurons (the rate accuracy, one step per
image) and one with spiking LIF neurons and synapses (the spiking accuracy: each image is shown
for ``n_steps`` steps and the filtered output at the last step is read).

    nengo-tf digits [--epochs 8] [--steps 60] [--out outputs]   (or python -m ...digits)
"""

import sys
import time
from pathlib import Path

import keras
import nengo
import numpy as np

import nengo_tf

AMPLITUDE = 0.01  # spike height: LIF outputs amplitude / dt per spike, amplitude * rate on average


def load_digits(n_test=360, seed=0):
    """Images scaled to [0, 1], shuffled with ``seed``: (x_train, y_train, x_test, y_test)."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    order = np.random.RandomState(seed).permutation(len(digits.target))
    x = digits.data[order].astype(np.float32) / 16.0
    y = digits.target[order].astype(np.int64)
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def shifted(x, y):
    """The images plus copies shifted one pixel up, down, left and right (labels repeated): the
    digits are few, and this teaches the network that position matters little."""
    images = x.reshape(-1, 8, 8)
    copies = [images]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        moved = np.roll(images, step, axis=axis)
        edge = [slice(None)] * 3
        edge[axis] = 0 if step == 1 else -1
        moved[tuple(edge)] = 0  # what rolled around the border
        copies.append(moved)
    return np.concatenate(copies).reshape(-1, 64), np.tile(y, len(copies))


def build_network(neuron_type, synapse=None, seed=0):
    """Conv(16, 3x3) - neurons - Conv(32, 3x3, stride 2) - neurons - Dense(10).

    Returns the network, its input node, the output probe (unfiltered, for training), a
    filtered output probe (for spiking readout) and a probe of 64 first-layer neurons.
    """
    with nengo.Network(seed=seed, label="digits") as net:
        # neurons with rate 0 Hz at input 0 and 100 Hz at input 1; the neurons' own gains and
        # biases stay fixed, the Keras layers learn
        net.config[nengo.Ensemble].max_rates = nengo.dists.Choice([100])
        net.config[nengo.Ensemble].intercepts = nengo.dists.Choice([0])
        net.config[nengo.Connection].synapse = None
        nengo_tf.configure_settings(trainable=False, lif_smoothing=0.01)

        image = nengo.Node(np.zeros(64), label="image")
        x = nengo_tf.tensor_layer(
            image,
            keras.layers.Conv2D,
            shape_in=(8, 8, 1),
            filters=32,
            kernel_size=3,
            padding="same",
        )
        first = nengo_tf.tensor_layer(x, neuron_type)
        x = nengo_tf.tensor_layer(
            first,
            keras.layers.Conv2D,
            shape_in=(8, 8, 32),
            filters=64,
            kernel_size=3,
            strides=2,
            padding="same",
            synapse=synapse,
        )
        x = nengo_tf.tensor_layer(x, neuron_type)
        # dropout acts only in training steps (Keras layers are told which steps those are)
        x = nengo_tf.tensor_layer(x, keras.layers.Dropout, rate=0.3, synapse=synapse)
        x = nengo_tf.tensor_layer(x, keras.layers.Dense, units=10)
        output = nengo.Probe(x, label="output")
        filtered = nengo.Probe(x, synapse=0.02, label="filtered")
        # the 64 neurons (32 channels each) of two pixels in the middle of the image
        middle = (3 * 8 + 3) * 32
        activity = nengo.Probe(first[middle : middle + 64], label="activity")
    return net, image, output, filtered, activity


def accuracy(outputs, labels) -> float:
    return float(np.mean(np.argmax(outputs, axis=-1) == labels))


def run(
    epochs=8,
    n_steps=60,
    minibatch_size=20,
    n_train=None,
    n_test=360,
    out_dir="outputs",
    seed=0,
    verbose=True,
):
    """Train, evaluate with rate and spiking neurons, plot. Returns the figures as a dict."""
    say = print if verbose else (lambda *a, **k: None)
    x_train, y_train, x_test, y_test = load_digits(n_test, seed)
    if n_train is not None:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    x_train, y_train = shifted(x_train, y_train)
    # whole minibatches only
    n_used = len(x_train) - len(x_train) % minibatch_size
    x_train, y_train = x_train[:n_used], y_train[:n_used]
    n_test = len(x_test) - len(x_test) % minibatch_size
    x_test, y_test = x_test[:n_test], y_test[:n_test]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params_file = out_dir / "digits_params.npz"
    keras.utils.set_random_seed(seed)  # Keras layers draw their initial weights from it

    # ---- train (LIF neurons, trained through SoftLIFRate) ----
    net, image, output, _, _ = build_network(nengo.LIF(amplitude=AMPLITUDE), seed=seed)
    with nengo_tf.Simulator(
        net, minibatch_size=minibatch_size, seed=seed, progress_bar=False
    ) as sim:
        sim.compile(
            keras.optimizers.Adam(1e-3),
            loss={output: keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
        )
        start = time.perf_counter()
        history = sim.fit(
            {image: x_train[:, None, :]},
            {output: y_train[:, None, None]},
            epochs=epochs,
            verbose=2 if verbose else 0,
        )
        train_seconds = time.perf_counter() - start
        sim.save_params(params_file)
    losses = history.history["loss"]
    say(
        f"trained {epochs} epochs on {len(x_train)} digits in {train_seconds:.1f} s "
        f"(loss {losses[0]:.3f} -> {losses[-1]:.3f})"
    )

    # ---- rate neurons: one step per image ----
    net, image, output, _, _ = build_network(nengo.LIFRate(amplitude=AMPLITUDE), seed=seed)
    with nengo_tf.Simulator(
        net, minibatch_size=minibatch_size, seed=seed, progress_bar=False
    ) as sim:
        sim.load_params(params_file)
        rate_out = sim.predict({image: x_test[:, None, :]}, verbose=0)[output]
    rate_accuracy = accuracy(rate_out[:, -1], y_test)

    # ---- spiking neurons: each image for n_steps steps, synapses between layers ----
    net, image, output, filtered, activity = build_network(
        nengo.LIF(amplitude=AMPLITUDE), synapse=0.005, seed=seed
    )
    with nengo_tf.Simulator(
        net, minibatch_size=minibatch_size, seed=seed, progress_bar=False
    ) as sim:
        sim.load_params(params_file)
        start = time.perf_counter()
        spiking = sim.predict({image: np.repeat(x_test[:, None, :], n_steps, axis=1)}, verbose=0)
        spiking_seconds = time.perf_counter() - start
    spiking_accuracy = accuracy(spiking[filtered][:, -1], y_test)

    say(
        f"held-out accuracy ({len(x_test)} digits): rate neurons {rate_accuracy:.2%}, "
        f"spiking LIF neurons {spiking_accuracy:.2%} ({n_steps} steps of {sim.dt * 1000:g} ms; "
        f"{spiking_seconds:.1f} s to simulate)"
    )
    plot_file = out_dir / "digits.png"
    plot(x_test, y_test, spiking[activity], spiking[filtered], sim.dt, plot_file)
    say(f"plot saved to {plot_file}")
    return {
        "rate_accuracy": rate_accuracy,
        "spiking_accuracy": spiking_accuracy,
        "train_seconds": train_seconds,
        "losses": losses,
        "plot": plot_file,
    }


def plot(images, labels, activity, outputs, dt, path, n_examples=3):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = dt * np.arange(1, outputs.shape[1] + 1)
    fig, axes = plt.subplots(3, n_examples, figsize=(4 * n_examples, 9))
    for i in range(n_examples):
        axes[0, i].imshow(images[i].reshape(8, 8), cmap="gray")
        axes[0, i].set_title(f"digit {labels[i]}")
        axes[0, i].axis("off")
        spikes = activity[i] > 0
        steps, neurons = np.nonzero(spikes)
        axes[1, i].scatter(t[steps], neurons, s=2, marker="|", color="k")
        axes[1, i].set_ylabel("first-layer neuron (2 middle pixels)")
        axes[1, i].set_xlim(0, t[-1])
        axes[2, i].plot(t, outputs[i])
        axes[2, i].set_xlabel("time (s)")
        axes[2, i].set_ylabel("class outputs (filtered)")
        axes[2, i].set_title(f"predicted {np.argmax(outputs[i, -1])}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    from nengo_tf.cli import main

    main(["digits", *sys.argv[1:]])
