"""TensorFlow and Keras inside nengo networks (TensorNode and tensor_layer: not yet built)."""

__version__ = "0.1.0"

__all__: list = []
