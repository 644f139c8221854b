import pytest
import nengo
from nengo.builder.operator import Copy, DotInc, Operator, Reset, SparseDotInc
from nengo.builder.signal import Signal
from nengo.exceptions import BuildError

from nengo_tf_builders import BuilderRegistry, OpBuilder, default_registry


class CopyBuilder(OpBuilder):
    pass


class DotBuilder(OpBuilder):
    pass


def test_register_and_lookup_follow_class_hierarchy():
    registry = BuilderRegistry()
    registry.register(Copy, CopyBuilder)
    registry.register(DotInc)(DotBuilder)  # decorator form
    a, x, y = Signal([[1.0]]), Signal([1.0]), Signal([0.0])
    assert registry.lookup(Copy(x, y)) is CopyBuilder
    # SparseDotInc is a DotInc subclass with no builder of its own here
    sparse = SparseDotInc(Signal(__import__("scipy.sparse").sparse.csr_matrix([[1.0]])), x, y)
    assert registry.lookup(sparse) is DotBuilder
    assert registry.lookup(DotInc(a, x, y)) is DotBuilder


def test_double_registration_is_an_error():
    registry = BuilderRegistry()
    registry.register(Copy, CopyBuilder)
    with pytest.raises(BuildError, match="already registered"):
        registry.register(Copy, DotBuilder)


def test_missing_builder_names_the_operator_type():
    class Mystery(Operator):
        def __init__(self):
            super().__init__()
            self.sets, self.incs, self.reads, self.updates = [], [], [], []

    with pytest.raises(BuildError, match="no builder for operator type Mystery"):
        default_registry().lookup(Mystery())


def test_merged_registries_reject_overlaps():
    a, b = BuilderRegistry(), BuilderRegistry()
    a.register(Copy, CopyBuilder)
    b.register(Reset, DotBuilder)
    merged = a.merged(b)
    assert Copy in merged and Reset in merged
    with pytest.raises(BuildError):
        merged.merged(a)


def test_registries_are_independent_objects():
    first, second = default_registry(), default_registry()
    assert first is not second
    first.register(nengo.builder.operator.SimPyFunc.__base__, CopyBuilder)  # Operator itself
    assert Operator not in second


def test_unknown_operator_in_a_model_is_a_build_error():
    import nengo_tf

    class Custom(Operator):
        def __init__(self, sig):
            super().__init__()
            self.sets, self.incs, self.reads, self.updates = [sig], [], [], []

    model = nengo.builder.Model()
    model.add_op(Custom(Signal([0.0])))
    with pytest.raises(BuildError, match="Custom"):
        nengo_tf.Simulator(None, model=model, progress_bar=False)
