"""An explicit map from nengo operator types to the builders that run them."""

from typing import Iterator

from nengo.builder.operator import Operator
from nengo.exceptions import BuildError


class BuilderRegistry:
    """Operator type → builder class. Lookups follow the operator's class hierarchy.

    Registries are plain objects owned by whoever composes them (no process-global state):
    packages contribute their builders with `register`, the simulator combines registries with
    `merged`.
    """

    def __init__(self):
        self._builders: dict[type, type] = {}

    def register(self, op_type: type, builder=None):
        """Register ``builder`` for ``op_type``; usable as a class decorator."""

        def add(builder_cls):
            if op_type in self._builders:
                raise BuildError(
                    f"A builder for {op_type.__name__} is already registered "
                    f"({self._builders[op_type].__name__}); cannot add {builder_cls.__name__}"
                )
            self._builders[op_type] = builder_cls
            return builder_cls

        return add if builder is None else add(builder)

    def lookup(self, op: Operator) -> type:
        """The builder class for ``op`` (specialised for the operator when it asks to be)."""
        for cls in type(op).__mro__:
            if cls in self._builders:
                return self._builders[cls].specialize(op)
        raise BuildError(
            f"nengo-tf has no builder for operator type {type(op).__name__} (operator: {op})"
        )

    def merged(self, other: "BuilderRegistry") -> "BuilderRegistry":
        """A new registry with the builders of both (a type in both is an error)."""
        result = BuilderRegistry()
        for op_type, builder in list(self.items()) + list(other.items()):
            result.register(op_type, builder)
        return result

    def items(self) -> Iterator:
        return iter(self._builders.items())

    def __contains__(self, op_type: type) -> bool:
        return op_type in self._builders
