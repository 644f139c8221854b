"""The simulation loop: ``unroll`` timesteps per ``tf.while_loop`` iteration, plus a remainder
loop, so that a run advances exactly the number of steps asked for."""

import tensorflow as tf
from nengo_tf_builders import StepContext


class SimulationLoop:
    """Compiles the builders' timesteps into one ``tf.function`` that runs ``n`` steps.

    The function is traced once per simulator (its input signature has a free number of steps),
    reads the state from the storage variables, carries it through the loop as tensors, and
    writes it back at the end; probe values come back as ``(n_steps, size, minibatch)`` arrays.
    """

    def __init__(
        self,
        builders,
        storage,
        signals,
        probe_blocks,
        unroll: int,
        n_feed_rows: int,
        float_dtype,
        has_callbacks: bool,
        jit_compile: bool = False,
    ):
        self.builders = builders
        self.storage = storage
        self.signals = signals
        self.probe_blocks = probe_blocks
        self.unroll = unroll
        self.minibatch_size = storage.minibatch_size
        # Python callbacks must run in step order; otherwise let TF overlap iterations
        self.parallel_iterations = 1 if has_callbacks else 10
        # XLA cannot compile Python callbacks (tf.numpy_function)
        self.jit_compile = jit_compile and not has_callbacks
        self._compiled = {}
        self.function = tf.function(
            self._run,
            input_signature=[
                tf.TensorSpec((), tf.int64),
                tf.TensorSpec((), tf.int32),
                tf.TensorSpec((None, n_feed_rows, self.minibatch_size), float_dtype),
            ],
            autograph=False,
        )

    def _steps(self, n, state, constants, first_step, feed_rows):
        """``n`` timesteps from ``state``: returns the new state and, per probe block, the
        recorded values ``(n, size, minibatch)``. Pure, so it can be compiled with XLA."""
        recorded = [[] for _ in self.probe_blocks]
        for k in range(n):
            values = dict(constants)
            values.update(state)
            ctx = StepContext(step=first_step + k, feed=feed_rows[k])
            for builder in self.builders:
                builder.step(values, ctx)
            for out, block in zip(recorded, self.probe_blocks):
                out.append(tf.reshape(self.signals.read_batched(values, block), (block.size, -1)))
            state = {name: values[name] for name in state}
        return state, [tf.stack(out) for out in recorded]

    def _loop(self, steps_per_iteration, i, stop, state, constants, start, feeds, arrays):
        n = steps_per_iteration
        steps = self._compiled.get(n)
        if steps is None:
            steps = lambda *args, n=n: self._steps(n, *args)  # noqa: E731
            if self.jit_compile:
                steps = tf.function(steps, jit_compile=True, autograph=False)
            self._compiled[n] = steps

        def cond(i, state, arrays):
            return i + n <= stop

        def body(i, state, arrays):
            first_step = start + tf.cast(i, tf.int64) + 1
            state, recorded = steps(state, constants, first_step, feeds[i : i + n])
            arrays = [
                ta.scatter(tf.range(i, i + n), values) for ta, values in zip(arrays, recorded)
            ]
            return i + n, state, arrays

        return tf.while_loop(
            cond, body, (i, state, arrays), parallel_iterations=self.parallel_iterations
        )

    def _run(self, start, n_steps, feeds):
        variables = self.storage.variables
        state = {name: variables[name].read_value() for name in self.storage.state_names}
        constants = {name: variables[name].read_value() for name in self.storage.constant_names}
        arrays = [
            tf.TensorArray(
                block.dtype, size=n_steps, element_shape=(block.size, self.minibatch_size)
            )
            for block in self.probe_blocks
        ]
        i = tf.constant(0)
        if self.unroll > 1:
            i, state, arrays = self._loop(
                self.unroll, i, n_steps, state, constants, start, feeds, arrays
            )
        i, state, arrays = self._loop(1, i, n_steps, state, constants, start, feeds, arrays)
        for name, value in state.items():
            variables[name].assign(value)
        return [ta.stack() for ta in arrays]

    def run(self, start: int, n_steps: int, feeds):
        return self.function(tf.constant(start, tf.int64), tf.constant(n_steps, tf.int32), feeds)
