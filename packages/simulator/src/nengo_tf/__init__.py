"""nengo-tf: simulate, and train, nengo networks with TensorFlow."""

import nengo_dists as dists
from nengo_graph_optimizer import MergePolicy, Plan, build_plan
from nengo_tensor_layers import TensorNode, tensor_layer
from nengo_tf_builders import SoftLIFRate

from .settings import configure_settings
from .simulator import Simulator

__version__ = "0.1.0"

__all__ = [
    "MergePolicy",
    "Plan",
    "Simulator",
    "SoftLIFRate",
    "TensorNode",
    "build_plan",
    "configure_settings",
    "dists",
    "tensor_layer",
]
