"""nengo-tf: simulate, and train, nengo networks with TensorFlow."""

from nengo_graph_optimizer import MergePolicy, Plan, build_plan

from .settings import configure_settings
from .simulator import Simulator

__version__ = "0.1.0"

__all__ = ["MergePolicy", "Plan", "Simulator", "build_plan", "configure_settings"]
