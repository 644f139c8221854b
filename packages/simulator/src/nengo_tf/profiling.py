"""Where the time goes: a TensorFlow profile of a run, and a timing report per operator group."""

import time
from collections import Counter

import tensorflow as tf
from nengo_tf_builders import StepContext


def group_timings(sim, repeats: int = 50) -> list:
    """Time each operator group's timestep on its own, as a compiled function called
    ``repeats`` times on the simulator's current state. Returns rows sorted slowest first:
    ``(microseconds per step, operator type, number of operators)``; the cost of calling an
    empty compiled function is subtracted."""
    variables = sim._storage.variables
    values = {name: variables[name].read_value() for name in variables}
    feed = tf.zeros((sim._feeds.n_rows, sim._storage.minibatch_size), sim.dtype)

    def timed(function):
        function(values)  # trace and warm up
        start = time.perf_counter()
        for _ in range(repeats):
            function(values)
        return (time.perf_counter() - start) / repeats * 1e6

    overhead = timed(tf.function(lambda state: dict(state)))
    rows = []
    for builder in sim._builders:

        def one_group(state, builder=builder):
            state = dict(state)
            builder.step(state, StepContext(step=tf.constant(1, tf.int64), feed=feed))
            return state

        micros = max(timed(tf.function(one_group)) - overhead, 0.0)
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
