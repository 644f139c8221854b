"""TensorFlow builders for nengo operators."""

from .builder import BuildConfig, OpBuilder, StepContext
from .callbacks import py_call
from .convolution import ConvIncBuilder, register_convolution_builders
from .fallback import NumpyOpBuilder
from .learning import register_learning_builders
from .feeds import SimFeed, SimFeedBuilder, register_feed_builders
from .neurons import NATIVE_NEURONS, SimNeuronsBuilder, register_neuron_builders
from .operators import register_operator_builders
from .processes import LinearFilterBuilder, register_process_builders
from .pyfunc import SimPyFuncBuilder, call_node_function, checked_output, register_pyfunc_builders
from .registry import BuilderRegistry
from .signals import ArraySpec, SignalAccess, TensorSignal
from .soft_lif import SoftLIFRate

__version__ = "0.1.0"


def default_registry() -> BuilderRegistry:
    """A new registry holding the builders for nengo's core operators."""
    registry = BuilderRegistry()
    register_operator_builders(registry)
    register_neuron_builders(registry)
    register_process_builders(registry)
    register_pyfunc_builders(registry)
    register_feed_builders(registry)
    register_learning_builders(registry)
    register_convolution_builders(registry)
    return registry


__all__ = [
    "ArraySpec",
    "BuildConfig",
    "BuilderRegistry",
    "ConvIncBuilder",
    "LinearFilterBuilder",
    "NATIVE_NEURONS",
    "NumpyOpBuilder",
    "OpBuilder",
    "SignalAccess",
    "SimFeed",
    "SimFeedBuilder",
    "SimNeuronsBuilder",
    "SimPyFuncBuilder",
    "SoftLIFRate",
    "StepContext",
    "TensorSignal",
    "call_node_function",
    "checked_output",
    "default_registry",
    "py_call",
]
