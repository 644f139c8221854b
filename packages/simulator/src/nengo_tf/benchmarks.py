"""Benchmarks: standard models in nengo-tf and nengo.Simulator, side by side, in one process.

    python -m nengo_tf.benchmarks --dimensions 64 --neurons-per-d 10 --minibatch 1 10

For each model: build time, time to the first result (build plus one step), and steps per second
after a warm-up (median of ``--reps`` timed runs; with a minibatch, element-steps per second,
i.e. ``minibatch * steps / seconds``), and the ratio nengo-tf / nengo.Simulator.
"""

import argparse
import json
import random
import statistics
import time

import numpy as np
import nengo

import nengo_tf

NEURON_TYPES = {
    "LIF": nengo.LIF,
    "LIFRate": nengo.LIFRate,
    "RectifiedLinear": nengo.RectifiedLinear,
    "SpikingRectifiedLinear": nengo.SpikingRectifiedLinear,
}


def _configured(neuron_type, seed=0):
    net = nengo.Network(seed=seed)
    net.config[nengo.Ensemble].neuron_type = neuron_type
    return net


def integrator(dimensions, neurons_per_d, neuron_type):
    """An EnsembleArray of 1-D integrators (output fed back to input)."""
    with _configured(neuron_type) as net:
        net.inp = nengo.Node(np.zeros(dimensions))
        ensembles = nengo.networks.EnsembleArray(neurons_per_d, dimensions)
        nengo.Connection(ensembles.output, ensembles.input, synapse=0.01)
        nengo.Connection(net.inp, ensembles.input, transform=0.01)
        net.p = nengo.Probe(ensembles.output)
    return net


def cconv(dimensions, neurons_per_d, neuron_type):
    """nengo's CircularConvolution network with constant inputs."""
    with _configured(neuron_type) as net:
        net.inp = nengo.Node(np.zeros(dimensions))
        net.inp_b = nengo.Node(np.ones(dimensions))
        conv = nengo.networks.CircularConvolution(neurons_per_d, dimensions)
        nengo.Connection(net.inp, conv.input_a)
        nengo.Connection(net.inp_b, conv.input_b)
        net.p = nengo.Probe(conv.output)
    return net


def basal_ganglia(dimensions, neurons_per_d, neuron_type):
    """nengo's BasalGanglia network."""
    with _configured(neuron_type) as net:
        net.inp = nengo.Node(np.ones(dimensions))
        bg = nengo.networks.BasalGanglia(dimensions, neurons_per_d)
        nengo.Connection(net.inp, bg.input)
        net.p = nengo.Probe(bg.output)
    return net


def pes(dimensions, neurons_per_d, neuron_type):
    """An ensemble learning to pass its input to a node with PES."""
    with _configured(neuron_type) as net:
        net.inp = nengo.Node(np.ones(dimensions))
        pre = nengo.Ensemble(neurons_per_d * dimensions, dimensions)
        post = nengo.Node(size_in=dimensions)
        nengo.Connection(net.inp, pre)
        conn = nengo.Connection(pre, post, learning_rule_type=nengo.PES())
        nengo.Connection(post, conn.learning_rule, transform=-1)
        nengo.Connection(net.inp, conn.learning_rule)
        net.p = nengo.Probe(post)
    return net


def random_network(dimensions, neurons_per_d, neuron_type, n_ensembles=20, connections=5):
    """Randomly interconnected ensembles with fixed all-ones decoders (a sparse spiking net)."""
    chooser = random.Random(0)
    with _configured(neuron_type) as net:
        net.inp = nengo.Node(np.zeros(dimensions))
        net.out = nengo.Node(size_in=dimensions)
        ensembles = [
            nengo.Ensemble(neurons_per_d * dimensions, dimensions) for _ in range(n_ensembles)
        ]
        ones = nengo.solvers.NoSolver(np.ones((neurons_per_d * dimensions, dimensions)))
        for ens in ensembles:
            nengo.Connection(net.inp, ens)
            nengo.Connection(ens, net.out, solver=ones)
            for post in chooser.sample(ensembles, connections):
                nengo.Connection(ens, post, solver=ones)
        net.p = nengo.Probe(net.out)
    return net


def spiking_convnet(dimensions, neurons_per_d, neuron_type):
    """A small spiking convolutional network: image → Conv (8 filters) → neurons → Dense."""
    side = max(4, int(np.sqrt(dimensions)))
    with _configured(neuron_type) as net:
        net.inp = nengo.Node(np.zeros(side * side))
        conv = nengo.Convolution(
            8, (side, side, 1), kernel_size=(3, 3), init=nengo.dists.Uniform(-0.3, 0.3)
        )
        layer = nengo.Ensemble(conv.output_shape.size, 1)
        nengo.Connection(net.inp, layer.neurons, transform=conv)
        net.out = nengo.Node(size_in=10)
        nengo.Connection(
            layer.neurons, net.out, transform=nengo.dists.Uniform(-0.01, 0.01), synapse=0.01
        )
        net.p = nengo.Probe(net.out)
    return net


def python_node(dimensions, neurons_per_d, neuron_type):
    """The integrator, with its output read by a Python function each step (a Node with an
    input): the case XLA cannot compile whole."""
    net = integrator(dimensions, neurons_per_d, neuron_type)
    with net:
        net.sink = nengo.Node(lambda t, x: x, size_in=dimensions)
        nengo.Connection(net.p.target, net.sink, synapse=None)
    return net


MODELS = {
    "integrator": integrator,
    "cconv": cconv,
    "basal_ganglia": basal_ganglia,
    "pes": pes,
    "random_network": random_network,
    "spiking_convnet": spiking_convnet,
    "python_node": python_node,
}


def _measure(make_sim, n_steps, reps, batch):
    start = time.perf_counter()
    sim = make_sim()
    built = time.perf_counter()
    sim.run_steps(1)
    first = time.perf_counter()
    sim.run_steps(n_steps)  # warm-up (compiles, fills caches)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        sim.run_steps(n_steps)
        times.append(time.perf_counter() - t0)
    sim.close()
    return {
        "build_s": built - start,
        "first_result_s": first - start,
        "steps_per_s": batch * n_steps / statistics.median(times),
    }


def run_benchmarks(
    models,
    dimensions,
    neurons_per_d,
    neuron_type,
    minibatches,
    n_steps,
    reps,
    unroll=None,
    xla=None,
    out=print,
):
    """Run each model in nengo.Simulator and in nengo-tf at each minibatch size."""
    rows = []
    for name in models:
        net = MODELS[name](dimensions, neurons_per_d, NEURON_TYPES[neuron_type]())
        with net:
            nengo_tf.configure_settings(xla=xla)
        ref = _measure(lambda: nengo.Simulator(net, progress_bar=False), n_steps, reps, 1)
        for batch in minibatches:
            kwargs = {"minibatch_size": batch if batch > 1 else None, "progress_bar": False}
            if unroll:
                kwargs["unroll_simulation"] = unroll
            ours = _measure(lambda: nengo_tf.Simulator(net, **kwargs), n_steps, reps, batch)
            row = {
                "model": name,
                "minibatch": batch,
                "nengo": ref,
                "nengo_tf": ours,
                "ratio": ours["steps_per_s"] / ref["steps_per_s"],
            }
            rows.append(row)
            out(_format_row(row))
    return rows


HEADER = (
    f"{'model':<16}{'batch':>6} | {'build s':>8}{'first s':>8}{'steps/s':>10} (nengo) | "
    f"{'build s':>8}{'first s':>8}{'steps/s':>10} (nengo-tf) | {'ratio':>6}"
)


def _format_row(row):
    n, t = row["nengo"], row["nengo_tf"]
    return (
        f"{row['model']:<16}{row['minibatch']:>6} | {n['build_s']:8.2f}{n['first_result_s']:8.2f}"
        f"{n['steps_per_s']:10.0f}         | {t['build_s']:8.2f}{t['first_result_s']:8.2f}"
        f"{t['steps_per_s']:10.0f}            | {row['ratio']:6.2f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="nengo-tf bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=["integrator", "cconv", "basal_ganglia", "pes"],
        choices=sorted(MODELS),
    )
    parser.add_argument("--dimensions", type=int, default=64)
    parser.add_argument("--neurons-per-d", type=int, default=10)
    parser.add_argument("--neuron-type", default="LIF", choices=sorted(NEURON_TYPES))
    parser.add_argument("--minibatch", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--unroll", type=int, default=None)
    parser.add_argument(
        "--no-xla",
        dest="xla",
        action="store_const",
        const=False,
        default=None,
        help="run nengo-tf without XLA compilation (default: the xla setting's auto)",
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    print(
        f"{args.dimensions} dimensions, {args.neurons_per_d} neurons per dimension, "
        f"{args.neuron_type}, {args.steps} steps, median of {args.reps}, "
        f"XLA {'off' if args.xla is False else 'auto'}, unroll {args.unroll or 'auto'}"
    )
    print(HEADER)
    rows = run_benchmarks(
        args.models,
        args.dimensions,
        args.neurons_per_d,
        args.neuron_type,
        args.minibatch,
        args.steps,
        args.reps,
        args.unroll,
        args.xla,
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": vars(args), "results": rows}, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
