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

    def __init__(self, builders, storage, signals, probe_blocks, unroll: int, n_feed_rows: int,
                 float_dtype, has_callbacks: bool):
        self.builders = builders
        self.storage = storage
        self.signals = signals
        self.probe_blocks = probe_blocks
        self.unroll = unroll
        self.minibatch_size = storage.minibatch_size
        # Python callbacks must run in step order; otherwise let TF overlap iterations
        self.parallel_iterations = 1 if has_callbacks else 10
        self.function = tf.function(
            self._run,
            input_signature=[
                tf.TensorSpec((), tf.int64),
                tf.TensorSpec((), tf.int32),
                tf.TensorSpec((None, n_feed_rows, self.minibatch_size), float_dtype),
            ],
            autograph=False,
        )

    def _step(self, state, constants, i, start, feeds, arrays):
        values = dict(constants)
        values.update(state)
        ctx = StepContext(step=start + tf.cast(i, tf.int64) + 1, feed=feeds[i])
        for builder in self.builders:
            builder.step(values, ctx)
        arrays = [
            ta.write(i, tf.reshape(self.signals.read_batched(values, block), (block.size, -1)))
            for ta, block in zip(arrays, self.probe_blocks)
        ]
        return {name: values[name] for name in state}, arrays

    def _loop(self, steps_per_iteration, i, stop, state, constants, start, feeds, arrays):
        def cond(i, state, arrays):
            return i + steps_per_iteration <= stop

        def body(i, state, arrays):
            for k in range(steps_per_iteration):
                state, arrays = self._step(state, constants, i + k, start, feeds, arrays)
            return i + steps_per_iteration, state, arrays

        return tf.while_loop(
            cond, body, (i, state, arrays), parallel_iterations=self.parallel_iterations
        )

    def _run(self, start, n_steps, feeds):
        variables = self.storage.variables
        state = {name: variables[name].read_value() for name in self.storage.state_names}
        constants = {name: variables[name].read_value() for name in self.storage.constant_names}
        arrays = [
            tf.TensorArray(block.dtype, size=n_steps, element_shape=(block.size, self.minibatch_size))
            for block in self.probe_blocks
        ]
        i = tf.constant(0)
        if self.unroll > 1:
            i, state, arrays = self._loop(self.unroll, i, n_steps, state, constants, start, feeds, arrays)
        i, state, arrays = self._loop(1, i, n_steps, state, constants, start, feeds, arrays)
        for name, value in state.items():
            variables[name].assign(value)
        return [ta.stack() for ta in arrays]

    def run(self, start: int, n_steps: int, feeds):
        return self.function(tf.constant(start, tf.int64), tf.constant(n_steps, tf.int32), feeds)
