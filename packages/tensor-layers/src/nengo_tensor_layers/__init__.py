"""TensorFlow and Keras inside nengo networks: ``TensorNode`` and ``tensor_layer``.

Use with ``nengo_tf.Simulator`` (which builds with `TensorNodeModelBuilder` and registers
`register_builders` into its builder registry).
"""

from .builders import SimTensorNode, SimTensorNodeBuilder, TensorNodeModelBuilder, register_builders
from .tensor_node import TensorNode, tensor_layer

__version__ = "0.1.0"

__all__ = [
    "SimTensorNode",
    "SimTensorNodeBuilder",
    "TensorNode",
    "TensorNodeModelBuilder",
    "register_builders",
    "tensor_layer",
]
