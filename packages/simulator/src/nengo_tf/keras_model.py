"""The Keras model behind ``sim.compile / fit / evaluate / predict``: Keras runs the epochs,
callbacks, progress bars and optimizer; a call of the model simulates a minibatch of examples
from the initial state."""

from dataclasses import dataclass

import keras
import tensorflow as tf


def _clone_metric(metric, name: str):
    """A fresh metric (its own running state) per output."""
    if isinstance(metric, keras.metrics.Metric):
        config = metric.get_config()
        config["name"] = f"{name}_{metric.name}"
        return type(metric).from_config(config)
    fn = keras.metrics.get(metric) if isinstance(metric, str) else metric
    return keras.metrics.MeanMetricWrapper(fn, name=f"{name}_{getattr(fn, '__name__', 'metric')}")


@dataclass
class _Setup:
    """What ``compile`` configured (kept out of Keras' attribute tracking, which would wrap the
    dicts and their functions)."""

    losses: dict  # output name -> Keras loss
    loss_weights: dict  # output name -> weight
    loss_tracker: object
    output_trackers: dict  # output name -> Mean of its loss
    output_metrics: dict  # output name -> [Metric]


class SimulatorModel(keras.Model):
    """A Keras model whose call simulates the network.

    ``forward(feeds, training)`` maps feeds ``(minibatch, n_steps, n_feed_rows)`` to
    ``{output name: (minibatch, n_samples, size)}``; ``variables`` returns the trainable
    variables (nengo parameters and the weights of Keras layers in TensorNodes).
    """

    def __init__(self, forward, variables, output_names):
        super().__init__(name="nengo_tf_simulator")
        self._forward = forward
        self._variables = variables
        self.output_names = list(output_names)
        self._setup = _Setup({}, {}, None, {}, {})
        self.built = True  # nothing for Keras to build: the variables exist already

    @property
    def trainable_weights(self):
        return self._variables()

    def call(self, feeds, training=False):
        return self._forward(feeds, bool(training))

    def configure(self, losses: dict, loss_weights: dict, metrics: dict):
        """Per-output losses (Keras losses: ``(y_true, y_pred) -> loss``), their weights, and
        metrics, keyed by output name."""
        self._setup = _Setup(
            losses=dict(losses),
            loss_weights=dict(loss_weights),
            loss_tracker=keras.metrics.Mean(name="loss"),
            output_trackers={name: keras.metrics.Mean(name=f"{name}_loss") for name in losses},
            output_metrics={
                name: [_clone_metric(m, name) for m in metrics.get(name, [])]
                for name in self.output_names
            },
        )

    @property
    def losses_by_output(self) -> dict:
        return self._setup.losses

    @property
    def metrics(self):
        setup = self._setup
        trackers = [] if setup.loss_tracker is None else [setup.loss_tracker]
        trackers += list(setup.output_trackers.values())
        for ms in setup.output_metrics.values():
            trackers += ms
        return trackers

    def _probe_losses(self, y, y_pred):
        per_output = {}
        for name, y_true in y.items():
            fn = self._setup.losses.get(name)
            if fn is not None:
                value = tf.reduce_mean(fn(y_true, tf.cast(y_pred[name], y_true.dtype)))
                per_output[name] = value
        total = tf.add_n([self._setup.loss_weights.get(n, 1.0) * v for n, v in per_output.items()])
        return total, per_output

    def _track(self, total, per_output, y, y_pred):
        setup = self._setup
        setup.loss_tracker.update_state(total)
        for name, value in per_output.items():
            setup.output_trackers[name].update_state(value)
        for name, y_true in y.items():
            for metric in setup.output_metrics.get(name, []):
                metric.update_state(y_true, y_pred[name])
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x, y = data
        weights = self.trainable_weights
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            total, per_output = self._probe_losses(y, y_pred)
        gradients = tape.gradient(total, weights)
        # a parameter the loss does not depend on gets a zero gradient, not an error
        gradients = [tf.zeros_like(w) if g is None else g for g, w in zip(gradients, weights)]
        self.optimizer.apply_gradients(zip(gradients, weights))
        return self._track(total, per_output, y, y_pred)

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        total, per_output = self._probe_losses(y, y_pred)
        return self._track(total, per_output, y, y_pred)

    def predict_step(self, data):
        (x,) = data if isinstance(data, tuple) else (data,)
        return self(x, training=False)
