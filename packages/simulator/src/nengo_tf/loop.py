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

    def _steps(self, n, training, state, constants, first_step, feed_rows):
        """``n`` timesteps from ``state``: returns the new state and, per probe block, the
        recorded values ``(n, size, minibatch)``. Pure, so it can be compiled with XLA."""
        recorded = [[] for _ in self.probe_blocks]
        for k in range(n):
            values = dict(constants)
            values.update(state)
            ctx = StepContext(step=first_step + k, feed=feed_rows[k], training=training)
            for builder in self.builders:
                builder.step(values, ctx)
            for out, block in zip(recorded, self.probe_blocks):
                out.append(tf.reshape(self.signals.read_batched(values, block), (block.size, -1)))
            state = {name: values[name] for name in state}
        return state, [tf.stack(out) for out in recorded]

    def _loop(self, steps_per_iteration, training, i, stop, state, constants, start, feeds, arrays):
        n = steps_per_iteration
        steps = self._compiled.get((n, training))
        if steps is None:
            steps = lambda *args, n=n: self._steps(n, training, *args)  # noqa: E731
            if self.jit_compile:
                steps = tf.function(steps, jit_compile=True, autograph=False)
            self._compiled[n, training] = steps

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

    def _simulate(self, state, start, feeds, training):
        """Run ``len(feeds)`` steps from ``state``: the final state and, per probe block, the
        recorded values ``(n_steps, size, minibatch)``."""
        variables = self.storage.variables
        constants = {name: variables[name].read_value() for name in self.storage.constant_names}
        n_steps = tf.shape(feeds)[0]
        arrays = [
            tf.TensorArray(
                block.dtype, size=n_steps, element_shape=(block.size, self.minibatch_size)
            )
            for block in self.probe_blocks
        ]
        i = tf.constant(0)
        for steps_per_iteration in (self.unroll, 1) if self.unroll > 1 else (1,):
            i, state, arrays = self._loop(
                steps_per_iteration, training, i, n_steps, state, constants, start, feeds, arrays
            )
        return state, [ta.stack() for ta in arrays]

    def _run(self, start, n_steps, feeds):
        variables = self.storage.variables
        state = {name: variables[name].read_value() for name in self.storage.state_names}
        state, recorded = self._simulate(state, start, feeds[:n_steps], training=False)
        for name, value in state.items():
            variables[name].assign(value)
        return recorded

    def run(self, start: int, n_steps: int, feeds):
        return self.function(tf.constant(start, tf.int64), tf.constant(n_steps, tf.int32), feeds)

    def forward(self, feeds, training: bool) -> list:
        """Probe values for ``feeds`` (``(n_steps, n_feed_rows, minibatch)``), simulated from
        the initial state at time 0, without touching the simulator's state: what training,
        evaluation and prediction run. Differentiable with respect to the feeds and to the
        trainable variables (through rate versions of spiking neurons when ``training``)."""
        state = {name: var.read_value() for name, var in self.storage.initial_state.items()}
        _, recorded = self._simulate(state, tf.constant(0, tf.int64), feeds, training)
        return recorded
