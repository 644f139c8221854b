"""The training examples, at tiny sizes (their full-size results are in the README)."""

from nengo_tf.cli import main as cli
from nengo_tf.examples import digits, nonlinear


def test_nonlinear_example_lowers_the_loss_tenfold(tmp_path):
    result = nonlinear.run(epochs=30, n_examples=128, out_dir=tmp_path, verbose=False)
    assert result["after"] < result["before"] / 10


def test_digits_example_runs_and_learns(tmp_path, capsys):
    result = digits.run(epochs=1, n_steps=20, n_train=200, n_test=40, out_dir=tmp_path)
    out = capsys.readouterr().out
    assert "rate neurons" in out and "spiking LIF neurons" in out
    assert result["rate_accuracy"] > 0.3  # 1 epoch on 1000 shifted digits: far above chance
    assert result["plot"].stat().st_size > 0
    assert (tmp_path / "digits_params.npz").exists()


def test_cli_digits(tmp_path):
    cli(["digits", "--out", str(tmp_path), "--epochs", "1", "--steps", "5", "--train", "100"])
    assert (tmp_path / "digits.png").exists()
