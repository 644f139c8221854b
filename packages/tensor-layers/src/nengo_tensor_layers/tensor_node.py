"""``TensorNode``: a nengo Node whose output is computed by TensorFlow (a function on tensors or a
Keras layer), and ``tensor_layer`` to put a layer into a network in one line."""

import inspect

import nengo
import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError
from nengo.params import BoolParam, Default, IntParam, Parameter


def _call(func, pass_time, t, x):
    return func(t, x) if pass_time else func(x)


class TensorFuncParam(Parameter):
    """A callable on tensors; Keras layer classes are instantiated. Infers ``size_out``."""

    def coerce(self, node, func):
        if inspect.isclass(func) and issubclass(func, tf.keras.layers.Layer):
            func = func()
        if not callable(func):
            raise ValidationError(
                f"tensor_func must be a function, a Keras layer or a Keras layer class; "
                f"got {func!r}",
                attr=self.name,
                obj=node,
            )
        if node.size_out is None:
            x = tf.zeros((1, node.size_in))
            try:
                y = tf.convert_to_tensor(_call(func, node.pass_time, tf.constant(0.0), x))
            except Exception as e:
                raise ValidationError(
                    f"calling tensor_func on zeros of shape {tuple(x.shape)} (to infer size_out) "
                    f"failed: {e}",
                    attr=self.name,
                    obj=node,
                ) from e
            if y.shape.rank != 2 or y.shape[0] != 1:
                raise ValidationError(
                    f"tensor_func must return a (minibatch, size_out) tensor; for input shape "
                    f"{tuple(x.shape)} it returned shape {tuple(y.shape)}",
                    attr=self.name,
                    obj=node,
                )
            node.size_out = int(y.shape[1])
        return super().coerce(node, func)


class TensorNode(nengo.Node):
    """A Node computed in TensorFlow.

    Parameters
    ----------
    tensor_func : callable, Keras layer, or Keras layer class
        Called as ``tensor_func(t, x)`` (or ``tensor_func(x)`` when ``pass_time=False``) with
        ``t`` the simulation time (a scalar tensor, seconds) and ``x`` the input, shaped
        ``(minibatch, size_in)``; returns ``(minibatch, size_out)``. A Keras layer's weights
        are parameters of the simulator.
    size_in : int
        Input dimensions (0 for none).
    size_out : int, optional
        Output dimensions; inferred by calling ``tensor_func`` once when not given.
    pass_time : bool
        Whether ``tensor_func`` takes the time as its first argument.
    """

    tensor_func = TensorFuncParam("tensor_func")
    size_in = IntParam("size_in", default=0, low=0)
    size_out = IntParam("size_out", default=None, low=1, optional=True)
    pass_time = BoolParam("pass_time", default=True)
    _param_init_order = ["size_in", "size_out", "pass_time", "tensor_func"]

    def __init__(
        self, tensor_func, size_in=Default, size_out=Default, pass_time=Default, label=Default
    ):
        nengo.base.NengoObject.__init__(self, label=label, seed=None)
        self.size_in = size_in
        self.size_out = size_out
        self.pass_time = pass_time
        self.tensor_func = tensor_func

    @property
    def output(self):
        """The TensorFlow function (nengo reads ``output`` to tell passthrough nodes apart)."""
        return self.tensor_func


def _is_keras_layer(func) -> bool:
    return isinstance(func, tf.keras.layers.Layer)


class _Reshaped:
    """Calls ``layer`` on the input reshaped to ``(minibatch, *shape_in)``; flattens the
    result back to ``(minibatch, size)``."""

    def __init__(self, layer, shape_in):
        self.layer = layer
        self.shape_in = shape_in

    def __call__(self, x, training=None):
        if self.shape_in is not None:
            x = tf.reshape(x, (-1,) + tuple(self.shape_in))
        y = self.layer(x, training=training) if _is_keras_layer(self.layer) else self.layer(x)
        return tf.reshape(y, (tf.shape(y)[0], -1))


def tensor_layer(
    input, layer_func, shape_in=None, synapse=None, transform=1, return_conn=False, **layer_args
):
    """Apply ``layer_func`` to ``input`` (a nengo object with an output), as a new network layer.

    ``layer_func`` is a Keras layer class (built with ``layer_args``) or instance, a function on
    tensors (called with ``layer_args`` as keywords), or a ``nengo.neurons.NeuronType``, which
    makes a layer of those neurons (an Ensemble with one neuron per input element; ``layer_args``
    go to the Ensemble). ``shape_in`` reshapes the flat nengo vector, e.g. to ``(28, 28, 1)`` for
    images. Returns the new layer's output object (and the Connection with ``return_conn``).
    """
    size_in = input.size_out
    if shape_in is not None and int(np.prod(shape_in)) != size_in:
        raise ValidationError(
            f"shape_in {tuple(shape_in)} has {int(np.prod(shape_in))} elements, but the input "
            f"{input} has {size_in}",
            attr="shape_in",
        )
    if isinstance(layer_func, nengo.neurons.NeuronType):
        ensemble = nengo.Ensemble(size_in, 1, neuron_type=layer_func, **layer_args)
        output = ensemble.neurons
    else:
        if inspect.isclass(layer_func) and issubclass(layer_func, tf.keras.layers.Layer):
            layer = layer_func(**layer_args)
        elif layer_args:
            layer = lambda x, f=layer_func: f(x, **layer_args)  # noqa: E731
        else:
            layer = layer_func
        if not callable(layer):
            raise ValidationError(
                f"layer_func must be a Keras layer, a function or a NeuronType; got {layer!r}",
                attr="layer_func",
            )
        # (the layer stays reachable as ``output.tensor_func.layer``, e.g. for its weights)
        output = TensorNode(_Reshaped(layer, shape_in), size_in=size_in, pass_time=False)
    conn = nengo.Connection(input, output, synapse=synapse, transform=transform)
    return (output, conn) if return_conn else output
