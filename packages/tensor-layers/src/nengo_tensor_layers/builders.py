"""Building TensorNodes: nengo's side (signals and a `SimTensorNode` operator) and TensorFlow's
side (a builder for nengo-tf's registry)."""

import tensorflow as tf
from nengo.builder import Builder
from nengo.builder.operator import Operator, Reset
from nengo.builder.signal import Signal
from nengo.exceptions import BuildError
from nengo_tf_builders import OpBuilder

from .tensor_node import TensorNode, _Reshaped


class SimTensorNode(Operator):
    """Set ``output`` to ``node.tensor_func(time, input)``."""

    def __init__(self, node, time, input, output, tag=None):
        super().__init__(tag=tag)
        self.node = node
        self.sets = [output]
        self.incs = []
        self.reads = [time] + ([] if input is None else [input])
        self.updates = []

    @property
    def output(self):
        return self.sets[0]

    @property
    def input(self):
        return self.reads[1] if len(self.reads) > 1 else None

    def make_step(self, signals, dt, rng):
        raise BuildError(f"{self.node} is a TensorNode: it runs only in nengo_tf.Simulator")


def build_tensor_node(model, node):
    """nengo build function for TensorNodes."""
    sig_in = None
    if node.size_in > 0:
        sig_in = Signal(shape=(node.size_in,), name=f"{node}.in")
        model.add_op(Reset(sig_in))
    sig_out = Signal(shape=(node.size_out,), name=f"{node}.out")
    model.sig[node]["in"] = sig_in
    model.sig[node]["out"] = sig_out
    model.params[node] = None
    model.add_op(SimTensorNode(node, model.time, sig_in, sig_out))


class TensorNodeModelBuilder(Builder):
    """nengo's builder plus TensorNodes, without changing nengo's global registry: pass it as
    ``nengo.builder.Model(builder=TensorNodeModelBuilder())``."""

    builders = {TensorNode: build_tensor_node}

    @classmethod
    def build(cls, model, obj, *args, **kwargs):
        for obj_cls in type(obj).__mro__:
            if obj_cls in cls.builders:
                return cls.builders[obj_cls](model, obj, *args, **kwargs)
        return Builder.build(model, obj, *args, **kwargs)


class SimTensorNodeBuilder(OpBuilder):
    """Runs a TensorNode's function on ``(minibatch, size_in)`` inputs inside the graph."""

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (op,) = ops
        self.node = node = op.node
        self.input = None if op.input is None else signals[op.input]
        self.output = signals[op.output]
        func = node.tensor_func
        # Keras makes a layer's weights on its first call; they must exist before the compiled
        # loop is traced, so call the layer once here, eagerly
        if isinstance(func, tf.keras.layers.Layer) and not func.built:
            self._call(tf.constant(0.0, config.dtype), tf.zeros((1, node.size_in), config.dtype))

    @property
    def _layer(self):
        func = self.node.tensor_func
        return getattr(func, "layer", func)  # tensor_layer wraps the layer to reshape

    @property
    def trainable_weights(self) -> list:
        """The Keras weights this node computes with (parameters for training)."""
        return list(getattr(self._layer, "trainable_weights", []))

    @property
    def weights(self) -> list:
        """All the Keras weights of this node (trainable or not, e.g. normalization
        statistics): what saving parameters keeps."""
        return list(getattr(self._layer, "weights", []))

    def _call(self, t, x, training=False):
        node, func = self.node, self.node.tensor_func
        # Keras layers (and tensor_layer's wrapper) learn whether they are training, for
        # dropout, batch normalization and the like
        kwargs = (
            {"training": training} if isinstance(func, (tf.keras.layers.Layer, _Reshaped)) else {}
        )
        y = func(t, x, **kwargs) if node.pass_time else func(x, **kwargs)
        return tf.convert_to_tensor(y)

    def step(self, state, ctx):
        batch, node = self.config.minibatch_size, self.node
        if self.input is None:
            x = tf.zeros((batch, 0), self.config.dtype)
        else:
            x = tf.transpose(tf.reshape(self.signals.read_batched(state, self.input), (-1, batch)))
        t = tf.cast(ctx.step, self.config.dtype) * self.config.dt
        y = self._call(t, x, ctx.training)
        if tuple(y.shape) != (batch, node.size_out):
            raise BuildError(
                f"{node}: tensor_func returned shape {tuple(y.shape)}; expected "
                f"{(batch, node.size_out)} (minibatch, size_out)"
            )
        if not (y.dtype.is_floating or y.dtype.is_integer):
            raise BuildError(f"{node}: tensor_func returned dtype {y.dtype.name}; expected floats")
        self.signals.write(state, self.output, tf.transpose(y))


def register_builders(registry):
    """Add the TensorNode builder to a nengo-tf ``BuilderRegistry``."""
    registry.register(SimTensorNode, SimTensorNodeBuilder)
