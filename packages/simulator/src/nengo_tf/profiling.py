"""Where the time goes: a TensorFlow profile of a run, and a timing report per operator group."""

import time
from collections import Counter

import tensorflow as tf
from nengo_tf_builders import StepContext


def group_timings(sim, repeats: int = 200) -> list:
    """Time each operator group's timestep on its own: a loop of ``repeats`` steps of that
    group alone, from the simulator's current state, compiled as the simulator compiles its
    loop (with XLA unless the group cannot be). Returns rows sorted slowest first:
    ``(microseconds per step, operator type, number of operators)``; the cost of an empty loop
    is subtracted, so the figures are what each group adds to a step."""
    variables = sim._storage.variables
    state = {name: variables[name].read_value() for name in sim._storage.state_names}
    constants = {name: variables[name].read_value() for name in sim._storage.constant_names}
    feed = tf.zeros((sim._feeds.n_rows, sim._storage.minibatch_size), sim.dtype)
    xla = sim._loop.jit_compile or sim._loop.segmented

    def timed(step, jit_compile):
        def loop(state):
            def body(i, state):
                values = dict(constants)
                values.update(state)
                step(values, StepContext(step=tf.cast(i, tf.int64) + 1, feed=feed))
                return i + 1, {name: values[name] for name in state}

            return tf.while_loop(lambda i, _: i < repeats, body, (0, state))

        function = tf.function(loop, jit_compile=jit_compile, autograph=False)
        function(state)  # trace, compile and warm up
        start = time.perf_counter()
        function(state)
        return (time.perf_counter() - start) / repeats * 1e6

    def nothing(values, ctx):
        pass

    overhead = {jit: timed(nothing, jit) for jit in {xla, False}}
    rows = []
    for builder in sim._builders:
        jit = xla and builder.xla_compatible
        micros = max(timed(builder.step, jit) - overhead[jit], 0.0)
        rows.append((micros, type(builder.ops[0]).__name__, len(builder.ops)))
    return sorted(rows, reverse=True)


def format_group_timings(rows, limit: int = 15) -> str:
    total = sum(r[0] for r in rows)
    by_type = Counter()
    for micros, name, _ in rows:
        by_type[name] += micros
    lines = [f"{len(rows)} groups, {total:.0f} us per step in total (each group on its own)"]
    lines += [f"  {micros:8.1f} us  {name} x{n}" for micros, name, n in rows[:limit]]
    lines.append(
        "by operator type: "
        + ", ".join(
            f"{name} {micros / max(total, 1e-9):.0%}" for name, micros in by_type.most_common()
        )
    )
    return "\n".join(lines)


class Profile:
    """Context manager writing a TensorFlow profile (for TensorBoard's profiler) to ``logdir``."""

    def __init__(self, logdir):
        self.logdir = str(logdir)

    def __enter__(self):
        tf.profiler.experimental.start(self.logdir)
        return self

    def __exit__(self, *exc):
        tf.profiler.experimental.stop()
        print(f"TensorFlow profile written to {self.logdir} (open it with TensorBoard)")


__all__ = ["Profile", "format_group_timings", "group_timings"]
