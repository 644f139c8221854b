"""Trained parameters out of (and into) a simulator: ``.npz`` files, printing, and nengo
arguments that rebuild the trained model anywhere (``get_nengo_params`` / ``freeze_params``)."""

import os

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.solvers import NoSolver
from nengo.transforms import Convolution, Dense, Sparse, SparseMatrix


def _npz_path(path) -> str:
    path = os.fspath(path)
    return path if path.endswith(".npz") else f"{path}.npz"


def save_params(values: dict, path) -> str:
    """Write ``{name: array}`` to ``path`` (``.npz`` appended if missing); returns the file."""
    path = _npz_path(path)
    np.savez(path, **values)
    return path


def load_params(path, expected: dict) -> dict:
    """Read a parameter file and check it against ``expected`` (``{name: shape}``)."""
    path = _npz_path(path)
    # allow_pickle=False: a parameter file holds plain arrays, never code
    try:
        with np.load(path, allow_pickle=False) as data:
            values = {name: data[name] for name in data.files}
    except ValueError as e:  # e.g. an object array, which would need unpickling
        raise ValidationError(f"{path} is not a plain parameter file: {e}", attr="path") from e
    missing = sorted(set(expected) - set(values))
    if missing:
        raise ValidationError(
            f"{path} has no value for parameter {missing[0]!r} (and {len(missing) - 1} more "
            "missing); was it saved from a different network?",
            attr="path",
        )
    unknown = sorted(set(values) - set(expected))
    if unknown:
        raise ValidationError(
            f"{path} holds parameter {unknown[0]!r}, which this network does not have",
            attr="path",
        )
    for name, shape in expected.items():
        if values[name].shape != tuple(shape):
            raise ValidationError(
                f"Parameter {name!r} in {path} has shape {values[name].shape}; this network's "
                f"has shape {tuple(shape)}",
                attr="path",
            )
    return values


def format_params(values: dict) -> str:
    lines = []
    for name, value in values.items():
        lines.append(f"{name} {value.shape}:")
        lines.append(np.array2string(value, precision=4, threshold=40, edgeitems=3))
    return "\n".join(lines)


def _zeros_function(size: int):
    def zeros(x):
        return np.zeros(size)

    return zeros


def _transform_with(transform, weights):
    """A transform like ``transform`` whose weights are ``weights``."""
    if isinstance(transform, Convolution):
        return Convolution(
            n_filters=transform.n_filters,
            input_shape=transform.input_shape,
            kernel_size=transform.kernel_size,
            strides=transform.strides,
            padding=transform.padding,
            channels_last=transform.channels_last,
            init=weights,
            groups=transform.groups,
        )
    if isinstance(transform, Sparse):
        init = transform.init
        if isinstance(init, SparseMatrix):
            matrix = SparseMatrix(init.indices, weights, init.shape)
        else:  # a scipy.sparse matrix
            matrix = init.copy().tocsr()
            matrix.data = weights
            matrix = SparseMatrix(np.stack(matrix.nonzero(), axis=1), matrix.data, matrix.shape)
        return Sparse(transform.shape, init=matrix)
    if isinstance(transform, Dense):
        return Dense(transform.shape, init=weights)
    # NoTransform (transform=None) has no weights signal, so it is never trained
    raise ValidationError(f"Cannot set the weights of a {type(transform).__name__}", "transform")


def nengo_params(obj, model, current: dict) -> dict:
    """Arguments that rebuild ``obj`` (an Ensemble or Connection) with its trained values.

    ``current`` maps ``(obj, attr)`` to the trained values of trainable parameters.
    """
    if isinstance(obj, nengo.Ensemble):
        built = model.params[obj]
        gain = built.gain
        scaled = current.get((obj, "encoders"), built.scaled_encoders)
        return {
            "encoders": scaled * obj.radius / gain[:, None],
            "normalize_encoders": False,
            "gain": gain,
            "bias": current.get((obj.neurons, "bias"), built.bias),
            "max_rates": nengo.Ensemble.max_rates.default,
            "intercepts": nengo.Ensemble.intercepts.default,
        }
    if isinstance(obj, nengo.Connection):
        weights = current.get((obj, "weights"))
        if weights is None:
            weights = model.sig[obj]["weights"].initial_value
        weights = np.array(weights)
        if isinstance(obj.pre_obj, nengo.Ensemble) and not isinstance(
            obj.pre_obj.neuron_type, nengo.Direct
        ):
            if obj.solver.weights:
                return {"solver": NoSolver(weights.T, weights=True)}
            # the decoders absorb the transform, and the function is only there to give the
            # decoded value its size
            return {
                "solver": NoSolver(weights.T, weights=False),
                "function": _zeros_function(weights.shape[0]),
                "transform": None,
            }
        return {"transform": _transform_with(obj.transform, weights)}
    raise ValidationError(
        f"{obj} is not an Ensemble or Connection: only those have nengo parameters", attr="objs"
    )


def freeze(obj, params: dict) -> None:
    """Write ``nengo_params`` back into ``obj``."""
    if isinstance(obj, nengo.Connection) and "transform" in params and "function" in params:
        # the new function and transform change the decoded size together; nengo would reject
        # either one set alone, so the transform is stored directly, then the function checked
        nengo.Connection.transform.data[obj] = Dense((obj.size_out, obj.size_out), init=1.0)
        obj.function = params["function"]
        obj.transform = params["transform"]
        obj.solver = params["solver"]
        return
    for attr, value in params.items():
        setattr(obj, attr, value)
