"""The main job: a controlled oscillator simulated by nengo-tf and nengo.Simulator side by side.

``nengo-tf demo`` builds a two-dimensional oscillator of spiking LIF neurons whose frequency is
set by a control input (a third dimension of the ensemble), runs it in both simulators from the
same seed, prints the largest difference and each simulator's speed, and saves a plot.
"""

import time
from pathlib import Path

import numpy as np
import nengo

import nengo_tf


def controlled_oscillator(n_neurons=600, tau=0.1, seed=0):
    """A spiking oscillator whose speed follows a control signal (nengo's classic example)."""
    with nengo.Network(seed=seed, label="controlled oscillator") as net:
        kick = nengo.Node(lambda t: [1, 0] if t < 0.1 else [0, 0])
        control = nengo.Node(nengo.processes.Piecewise({0: [2.0], 1.0: [-1.0], 2.0: [3.0]}))
        osc = nengo.Ensemble(n_neurons, 3, radius=1.7)
        speed = 10.0

        def feedback(x):
            x0, x1, w = x
            return [x0 + w * speed * tau * x1, x1 - w * speed * tau * x0]

        nengo.Connection(kick, osc[:2])
        nengo.Connection(control, osc[2])
        nengo.Connection(osc, osc[:2], function=feedback, synapse=tau)
        net.probe = nengo.Probe(osc[:2], synapse=0.02)
        nengo_tf.configure_settings(xla=True)  # compiled timesteps: this is a long run
    return net


def timed_run(make_sim, seconds):
    start = time.perf_counter()
    sim = make_sim()
    built = time.perf_counter()
    sim.run(seconds)
    done = time.perf_counter()
    return sim, built - start, done - built


def main(out_dir="outputs", seconds=3.0, n_neurons=600):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    net = controlled_oscillator(n_neurons)
    ref, ref_build, ref_run = timed_run(lambda: nengo.Simulator(net, progress_bar=False), seconds)
    sim, tf_build, tf_run = timed_run(
        lambda: nengo_tf.Simulator(net, unroll_simulation=10, progress_bar=False), seconds
    )
    # a second run shows steady-state speed, once TensorFlow has compiled the loop
    steady_start = time.perf_counter()
    sim.run(seconds)
    tf_steady = time.perf_counter() - steady_start
    steps = ref.n_steps

    ours, theirs = sim.data[net.probe][:steps], ref.data[net.probe]
    diff = np.abs(ours - theirs)
    print(f"controlled oscillator, {n_neurons} LIF neurons, {steps} steps of {ref.dt * 1e3:g} ms")
    print(f"largest difference in decoded output: {diff.max():.2e} (mean {diff.mean():.2e})")
    print(
        f"nengo.Simulator: build {ref_build:6.2f} s, run {ref_run:6.2f} s "
        f"({steps / ref_run:8.0f} steps/s)"
    )
    print(
        f"nengo_tf:        build {tf_build:6.2f} s, run {tf_run:6.2f} s incl. compile, "
        f"{tf_steady:6.2f} s warm ({steps / tf_steady:8.0f} steps/s, "
        f"{ref_run / tf_steady:.2f}x nengo)"
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = ref.trange()
    fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for i, ax in enumerate(axes):
        ax.plot(t, theirs[:, i], label="nengo.Simulator", lw=2)
        ax.plot(t, ours[:, i], "--", label="nengo_tf.Simulator")
        ax.set_ylabel(f"x{i}")
    axes[0].legend(loc="upper right")
    axes[0].set_title(f"Controlled oscillator ({n_neurons} LIF neurons): max diff {diff.max():.1e}")
    axes[1].set_xlabel("time (s)")
    path = out / "oscillator.png"
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")
    ref.close()
    sim.close()
    return diff.max()
