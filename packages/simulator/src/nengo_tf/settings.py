"""``configure_settings``: nengo-tf options stored on a network's config."""

import nengo
from nengo.exceptions import ConfigError, NetworkContextError, ValidationError
from nengo.params import Parameter
from nengo_graph_optimizer import DEFAULT_SIMPLIFICATIONS

from .trainable import add_trainable_setting

SETTINGS = {
    "planner": "greedy",  # name of a nengo_graph_optimizer planner, or a planner function
    "simplifications": DEFAULT_SIMPLIFICATIONS,  # names (or functions) of simplification passes
    "xla": None,  # compile the simulation loop with XLA: None (auto), True or False
    "lif_smoothing": None,  # LIF neurons train through SoftLIFRate(sigma=lif_smoothing)
    "inference_only": False,  # the model is only simulated: training methods raise
}


def configure_settings(**settings):
    """Set nengo-tf options on the network whose ``with`` block is open.

    Must be called inside ``with network:``; the options apply when that network is simulated.
    ``planner``: ``"greedy"`` (default) or ``"noop"``, or a planner function.
    ``simplifications``: the simplification passes to run (names from
    ``nengo_graph_optimizer.SIMPLIFICATIONS``, or functions); ``[]`` runs none.
    ``xla``: compile the simulation loop with XLA, as one program per chunk of up to 256 steps
    (3-20x more steps per second on the benchmark models; about 0.1-0.3 s more on the first
    run). None (the default) is auto: XLA, except that TensorFlow keeps every XLA compilation
    for the life of the process (about 6 MB per simulator), so once 200 simulators have been
    compiled in one process, new ones run without XLA (with a warning); True or False fixes
    it. Models with Python callbacks (Nodes with inputs, NumPy-step operators) or ops XLA has
    no kernel for (PoissonSpiking neurons) step in TensorFlow's graph executor, with the groups
    between those compiled by XLA; TensorNode code XLA rejects runs without XLA (a warning).
    ``trainable``: True, False or None, the default for whether Ensembles (encoders), their
    Neurons (biases) and Connections (weights) are trained; then set it per object with
    ``net.config[obj].trainable = False`` (a Network's setting applies to everything inside it).
    Unlike the other settings it applies to the network whose ``with`` block is open.
    ``lif_smoothing``: when training, LIF (and AdaptiveLIF) neurons compute
    ``SoftLIFRate(sigma=lif_smoothing)`` instead of LIFRate (None, the default: LIFRate).
    ``inference_only``: True for a model that is only simulated; training methods then raise.
    """
    if not nengo.Network.context:
        raise NetworkContextError("configure_settings must be called within a Network context")
    config = nengo.Network.context[-1].config
    for name, value in settings.items():
        if name == "trainable":
            if value not in (None, True, False):
                raise ValidationError(
                    f"trainable must be None, True or False; got {value!r}", attr="trainable"
                )
            add_trainable_setting(config, value)
            continue
        if name not in SETTINGS:
            raise ValidationError(
                f"Unknown nengo-tf setting {name!r}; known settings: "
                f"{sorted(SETTINGS) + ['trainable']}",
                attr=name,
            )
        if nengo.Network not in config.params:
            config.configures(nengo.Network)
        params = config[nengo.Network]
        if not hasattr(params, name):
            params.set_param(name, Parameter(name, SETTINGS[name], optional=True))
        setattr(params, name, value)


def get_setting(network, name: str):
    """The value of setting ``name`` for ``network`` (its default if never configured)."""
    if network is not None:
        try:
            return getattr(network.config[nengo.Network], name)
        except (AttributeError, KeyError, ConfigError):
            pass
    return SETTINGS[name]
