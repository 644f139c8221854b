"""Convolution and transposed convolution (1-D and 2-D, channels first or last, groups)."""

import tensorflow as tf
from nengo.builder.transforms import GeneralConvInc
from nengo.exceptions import BuildError

from .builder import OpBuilder


class ConvIncBuilder(OpBuilder):
    """``Y += conv(W, X)`` (or its transpose) with TensorFlow's convolutions, NHWC layout.

    Inputs are moved to channels-last (TensorFlow's CPU kernels support only that), 1-D
    convolutions run as 2-D ones over a height of one, and grouped convolutions as one
    convolution per group (not every device has grouped kernels).
    """

    def __init__(self, ops, signals, config):
        super().__init__(ops, signals, config)
        (op,) = ops
        self.conv = conv = op.conv
        if conv.dimensions > 2:
            raise BuildError(
                f"{op}: {conv.dimensions}-D convolutions are unsupported (nengo-tf runs 1-D and "
                "2-D ones); fold extra dimensions into channels, or use a TensorNode with a Keras "
                "Conv3D layer"
            )
        self.W, self.X, self.Y = signals[op.W], signals[op.X], signals[op.Y]
        if self.W.minibatched:
            raise BuildError(
                f"{op}: convolution kernels that change during the run are unsupported; train "
                "them with the simulator's training methods instead of an online learning rule"
            )
        self.transpose = op.is_transpose
        self.strides = tuple(conv.strides)
        self.padding = conv.padding.upper()

    def _channels_last(self, x, shape):
        """(size, batch) → (batch, *spatial, channels), 2-D."""
        batch = self.config.minibatch_size
        x = tf.reshape(tf.transpose(x), (batch,) + tuple(shape.shape))
        if not shape.channels_last:
            x = tf.experimental.numpy.moveaxis(x, 1, -1)
        return x[:, None] if self.conv.dimensions == 1 else x

    def step(self, state, ctx):
        conv, batch = self.conv, self.config.minibatch_size
        x = self._channels_last(self.signals.read_batched(state, self.X), conv.input_shape)
        w = self.signals.read(state, self.W)
        strides = self.strides
        if conv.dimensions == 1:
            w, strides = w[None], (1,) + strides
        if self.transpose:
            spatial = tuple(conv.output_shape.spatial_shape)
            spatial = (1,) + spatial if conv.dimensions == 1 else spatial
            out_shape = (batch,) + spatial + (conv.output_shape.n_channels,)
            # nengo's kernel is (*size, in, out); TensorFlow's transpose wants (*size, out, in)
            w = tf.transpose(w, (0, 1, 3, 2))
            y = tf.nn.conv2d_transpose(x, w, out_shape, strides, self.padding)
        elif conv.groups == 1:
            y = tf.nn.conv2d(x, w, strides, self.padding)
        else:
            xs = tf.split(x, conv.groups, axis=-1)
            ws = tf.split(w, conv.groups, axis=-1)
            y = tf.concat(
                [tf.nn.conv2d(xg, wg, strides, self.padding) for xg, wg in zip(xs, ws)], -1
            )
        if conv.dimensions == 1:
            y = y[:, 0]
        if not conv.output_shape.channels_last:
            y = tf.experimental.numpy.moveaxis(y, -1, 1)
        y = tf.transpose(tf.reshape(y, (batch, -1)))
        self.signals.write(state, self.Y, y, inc=True)


def register_convolution_builders(registry):
    registry.register(GeneralConvInc, ConvIncBuilder)
