import nengo_tf.demo
from nengo_tf.cli import main as cli


def test_demo_runs_at_tiny_size(tmp_path, capsys):
    largest_diff = nengo_tf.demo.main(out_dir=tmp_path, seconds=0.3, n_neurons=100)
    assert largest_diff < 0.05
    assert (tmp_path / "oscillator.png").stat().st_size > 0
    assert "steps/s" in capsys.readouterr().out


def test_cli_demo(tmp_path):
    cli(["demo", "--out", str(tmp_path), "--seconds", "0.1", "--neurons", "50"])
    assert (tmp_path / "oscillator.png").exists()
