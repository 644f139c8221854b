"""Which nengo parameters training may change, and the stable names they are saved under.

``configure_settings(trainable=...)`` adds a ``trainable`` parameter to the config of Ensembles,
Neurons, Connections and Networks. An object's setting is, in order: its own config entry (in any
network config on the way down to it, nearest first), its network's setting (inherited down the
hierarchy), the class-level setting (nearest network config first), and finally True.
Trainable are: ensemble encoders (scaled by gain / radius, as nengo builds them), neuron biases
(a Neurons object follows its Ensemble unless set itself) and connection weights (decoders, or the
full weight matrix / transform). Parameters that an online learning rule changes are simulation
state, never trained.
"""

import warnings
from dataclasses import dataclass
from typing import Optional

import nengo
from nengo.builder.signal import Signal
from nengo.ensemble import Neurons
from nengo.exceptions import ConfigError
from nengo.params import BoolParam

CONFIGURABLE = (nengo.Ensemble, Neurons, nengo.Connection, nengo.Network)


def add_trainable_setting(config, default: Optional[bool]) -> None:
    """Give ``config`` the ``trainable`` parameter, with ``default`` as its class-level value
    (None: not set here, so inherited or True)."""
    for cls in CONFIGURABLE:
        if cls not in config.params:
            config.configures(cls)
        params = config[cls]
        if "trainable" not in params._extra_params:
            params.set_param("trainable", BoolParam("trainable", default=None, optional=True))
        params.trainable = default


def _explicit(obj, configs) -> Optional[bool]:
    """The value set for ``obj`` itself in the nearest config that sets it, or None."""
    for config in configs:
        try:
            instance = config[obj]
            if "trainable" in instance:
                return instance.trainable
        except (ConfigError, KeyError, AttributeError):
            pass
    return None


def _class_default(obj, configs) -> Optional[bool]:
    for config in configs:
        try:
            value = config[type(obj)].trainable
        except (ConfigError, KeyError, AttributeError):
            continue
        if value is not None:
            return value
    return None


def trainable_marks(network) -> dict:
    """``{object: (trainable, set explicitly)}`` for every Ensemble, Neurons and Connection."""
    marks = {}

    def first(*values):
        return next((v for v in values if v is not None), True)

    def visit(net, configs, inherited):
        configs = [net.config] + configs
        for obj in net.ensembles + net.connections:
            own = _explicit(obj, configs)
            value = first(own, inherited, _class_default(obj, configs))
            marks[obj] = (value, own is not None)
            if isinstance(obj, nengo.Ensemble):
                own_neurons = _explicit(obj.neurons, configs)
                marks[obj.neurons] = (first(own_neurons, value), own_neurons is not None)
        for sub in net.networks:
            own = _explicit(sub, configs)
            visit(sub, configs, own if own is not None else inherited)

    if network is not None:
        visit(network, [], None)
    return marks


def object_paths(network) -> dict:
    """A name for every object, from its place in the network hierarchy (e.g.
    ``networks[1].connections[0]``): identical for an identically built network, whatever the
    labels, so that saved parameters load into a rebuilt model."""
    paths = {}

    def visit(net, prefix):
        for kind in ("ensembles", "nodes", "connections", "probes", "networks"):
            for i, obj in enumerate(getattr(net, kind)):
                path = f"{prefix}{kind}[{i}]"
                paths[obj] = path
                if kind == "ensembles":
                    paths[obj.neurons] = f"{path}.neurons"
                elif kind == "networks":
                    visit(obj, f"{path}.")

    if network is not None:
        visit(network, "")
    return paths


@dataclass(frozen=True)
class Parameter:
    """One trainable nengo parameter."""

    name: str  # e.g. "ensembles[0].encoders"
    obj: object  # the Ensemble, Neurons or Connection it belongs to
    attr: str  # "encoders", "bias" or "weights"
    signal: Signal  # the built signal holding it


def _candidates(model, obj):
    sig = model.sig.get(obj, {}) if obj in model.sig else {}
    if isinstance(obj, nengo.Ensemble):
        yield "encoders", sig.get("encoders")
    elif isinstance(obj, Neurons):
        yield "bias", sig.get("bias")
    elif isinstance(obj, nengo.Connection):
        yield "weights", sig.get("weights")


def find_parameters(model, network) -> list:
    """The trainable parameters of a built network, in hierarchy order."""
    written, read = set(), set()
    for op in model.operators:
        written.update(s.base for s in op.sets + op.incs + op.updates)
        read.update(s.base for s in op.reads)
    paths = object_paths(network)
    params = []
    for obj, (trainable, explicit) in trainable_marks(network).items():
        for attr, sig in _candidates(model, obj):
            if sig is None or sig.base not in read or sig.dtype.kind != "f":
                continue
            if sig.base in written:
                if trainable and explicit:
                    warnings.warn(
                        f"{obj} is marked trainable, but its {attr} change with an online "
                        "learning rule: they are simulation state, so training leaves them alone"
                    )
                continue
            if trainable:
                params.append(Parameter(f"{paths[obj]}.{attr}", obj, attr, sig.base))
    return params
