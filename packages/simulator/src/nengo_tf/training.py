"""Training, evaluating and predicting with a simulator: the Keras-style methods (``compile``,
``fit``, ``evaluate``, ``predict``) and NengoDL's original ones (``train``, ``loss``).

Every example is simulated from the initial state at time 0, in minibatches of the simulator's
``minibatch_size``; none of this changes the simulator's own state, time or probe data. Training
runs the *training* version of the network: spiking neurons are replaced by differentiable rate
versions (see ``configure_settings(lif_smoothing=...)``), everything else is the simulated model.
Online learning rules run as in a simulation within each example (so their effect on the output
is part of what is trained), but their changes do not outlast the example.
"""

import contextlib
import re
import warnings

import keras
import numpy as np
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

from .keras_model import SimulatorModel
from .profiling import Profile
from .training_data import Minibatches, check_examples, usable_examples


def output_names(probes) -> dict:
    """A unique, Keras-friendly name per probe (from its label, else its index)."""
    names, used = {}, set()
    for i, probe in enumerate(probes):
        base = re.sub(r"[^A-Za-z0-9_]", "_", probe.label) if probe.label else f"probe_{i}"
        name, k = base, 1
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        names[probe] = name
    return names


def _keras_loss(objective):
    """NengoDL's objective (``"mse"`` or ``f(outputs, targets)``) as a Keras loss."""
    if isinstance(objective, str):
        if objective != "mse":
            raise ValidationError(
                f"Unknown objective {objective!r}: use 'mse' or a function (outputs, targets)",
                attr="objective",
            )
        return keras.losses.MeanSquaredError()
    if callable(objective):
        return lambda y_true, y_pred: objective(y_pred, y_true)
    raise ValidationError(
        f"objective must be 'mse', a function or a dict of those; got {objective!r}",
        attr="objective",
    )


class Trainer:
    """The training side of one simulator (made on first use)."""

    def __init__(self, sim):
        self.sim = sim
        self.probes = list(sim.model.probes)
        self.names = output_names(self.probes)
        self.model = SimulatorModel(self._forward, sim._trainable_variables, self.names.values())
        self._compiled = False
        self._train_key = None
        self._loss_functions = {}
        self.rng = np.random.RandomState(sim.seed)
        self._tensorboard_runs = 0

    # ---- the computation ----

    def _forward(self, feeds, training: bool) -> dict:
        rows = tf.transpose(tf.cast(feeds, self.sim.dtype), (1, 2, 0))
        recorded = self.sim._loop.forward(rows, training)
        values = self.sim._probes.probe_tensors(recorded)
        return {self.names[p]: v for p, v in zip(self.probes, values)}

    def _probe_key(self, key, attr="loss") -> str:
        """The output name of a Probe (or an output name itself)."""
        if key in self.names:
            return self.names[key]
        if isinstance(key, str) and key in self.names.values():
            return key
        raise ValidationError(f"{key} is not a Probe of this simulator", attr=attr)

    # ---- data ----

    def _minibatches(self, x, y, n_steps, what, shuffle=False):
        sim = self.sim
        examples = check_examples(sim._feeds, self.probes, sim.dt, x, y, n_steps)
        n_examples = examples.n_examples or sim._batch
        n_used = usable_examples(n_examples, sim._batch, what)
        return Minibatches(
            examples,
            n_used,
            sim._batch,
            sim._initial_feed_rows(examples.n_steps),
            self.names,
            self.rng,
            shuffle,
            sim.dtype.as_numpy_dtype,
        )

    def _check_trainable(self):
        sim = self.sim
        if sim._inference_only:
            raise SimulationError(
                "This network was configured with inference_only=True: it cannot be trained"
            )
        if not sim._trainable_variables():
            warnings.warn("The network has no trainable parameters: training changes nothing")
        stuck = sorted({type(b.ops[0]).__name__ for b in sim._builders if not b.differentiable})
        if stuck:
            warnings.warn(
                f"Training through operators without gradients ({', '.join(stuck)}): "
                "parameters that act only through them are not trained"
            )

    def _callbacks(self, callbacks):
        callbacks = list(callbacks or [])
        if self.sim.tensorboard:
            self._tensorboard_runs += 1
            log_dir = f"{self.sim.tensorboard}/run_{self._tensorboard_runs}"
            callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir, write_graph=True))
        return callbacks

    def _verbose(self, verbose):
        if verbose is not None:
            return verbose
        return 1 if self.sim.progress_bar else 0

    # ---- Keras-style API ----

    def compile(self, optimizer, loss=None, metrics=None, loss_weights=None):
        names = list(self.names.values())
        if isinstance(loss, dict):
            losses = {self._probe_key(k): keras.losses.get(v) for k, v in loss.items()}
        elif loss is not None:
            losses = {name: keras.losses.get(loss) for name in names}
        else:
            losses = {}
        if isinstance(metrics, dict):
            metrics = {
                self._probe_key(k): list(v) if isinstance(v, (list, tuple)) else [v]
                for k, v in metrics.items()
            }
        else:
            metrics = {name: list(metrics or []) for name in names}
        weights = {self._probe_key(k): v for k, v in (loss_weights or {}).items()}
        self.model.compile(optimizer=optimizer, jit_compile=False)
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.sim._trainable_variables())
        self.model.configure(losses, weights, metrics)
        self._compiled = True
        self._train_key = None

    def _check_compiled(self, y):
        if not self._compiled:
            raise SimulationError("Call sim.compile(optimizer, loss) first")
        missing = [
            p
            for p in y or {}
            if p in self.names and self.names[p] not in self.model.losses_by_output
        ]
        if missing:
            raise ValidationError(
                f"No loss was compiled for the targets of {missing[0]}", attr="loss"
            )

    def fit(
        self,
        x=None,
        y=None,
        n_steps=None,
        epochs=1,
        validation_data=None,
        callbacks=None,
        shuffle=True,
        verbose=None,
    ):
        self._check_trainable()
        if not y:
            raise ValidationError("fit needs targets (y) for at least one probe", attr="y")
        self._check_compiled(y)
        data = self._minibatches(x, y, n_steps, "fit", shuffle=shuffle)
        if validation_data is not None:
            validation_data = self._minibatches(*validation_data, None, "validation_data")
        return self.model.fit(
            data,
            epochs=epochs,
            validation_data=validation_data,
            callbacks=self._callbacks(callbacks),
            verbose=self._verbose(verbose),
            # Minibatches shuffles with the simulator's seed; Keras would reorder the batches
            # with Python's global random module
            shuffle=False,
        )

    def evaluate(self, x=None, y=None, n_steps=None, callbacks=None, verbose=None) -> dict:
        if not y:
            raise ValidationError("evaluate needs targets (y) for at least one probe", attr="y")
        self._check_compiled(y)
        data = self._minibatches(x, y, n_steps, "evaluate")
        return self.model.evaluate(
            data, callbacks=callbacks, verbose=self._verbose(verbose), return_dict=True
        )

    def predict(self, x=None, n_steps=None, callbacks=None, verbose=None) -> dict:
        data = self._minibatches(x, None, n_steps, "predict")
        outputs = self.model.predict(data, callbacks=callbacks, verbose=self._verbose(verbose))
        return {probe: np.asarray(outputs[name]) for probe, name in self.names.items()}

    # ---- NengoDL 0.5 API ----

    def _objectives(self, targets, objective) -> dict:
        names = {self._probe_key(p, "targets"): p for p in targets}
        if isinstance(objective, dict):
            for p in objective:
                self._probe_key(p, "objective")
            missing = [p for p in targets if p not in objective]
            if missing:
                raise ValidationError(f"No objective for the targets of {missing[0]}", "objective")
            return {name: _keras_loss(objective[p]) for name, p in names.items()}
        loss = _keras_loss(objective)
        return {name: loss for name in names}

    def train(
        self, data, targets, optimizer, n_epochs=1, objective="mse", shuffle=True, profile=False
    ):
        if not targets:
            raise ValidationError("train needs targets for at least one probe", attr="targets")
        key = (id(optimizer), id(objective), tuple(targets))
        if key != self._train_key:
            self.compile(optimizer, loss=self._objectives(targets, objective))
            self._train_key = key
        folder = profile if isinstance(profile, str) else "nengo_tf_train_profile"
        with Profile(folder) if profile else contextlib.nullcontext():
            return self.fit(data, targets, epochs=n_epochs, shuffle=shuffle)

    def loss(self, data, targets, objective="mse", training=False) -> float:
        """The mean over minibatches of the summed per-probe objectives."""
        if not targets:
            raise ValidationError("loss needs targets for at least one probe", attr="targets")
        losses = self._objectives(targets, objective)
        batches = self._minibatches(data, targets, None, "loss")
        forward = self._loss_functions.get(training)
        if forward is None:
            forward = tf.function(lambda feeds: self._forward(feeds, training), autograph=False)
            self._loss_functions[training] = forward
        values = []
        for i in range(len(batches)):
            feeds, y = batches[i]
            outputs = forward(tf.constant(feeds))
            values.append(
                sum(
                    float(tf.reduce_mean(losses[name](y_true, outputs[name])))
                    for name, y_true in y.items()
                )
            )
        return float(np.mean(values))
