"""Worked examples, runnable as modules (``python -m nengo_tf.examples.digits``)."""
