import json

import pytest

from nengo_tf.benchmarks import MODELS, main


@pytest.mark.parametrize("xla", [True, False])
def test_benchmarks_run_at_tiny_size(tmp_path, capsys, xla):
    out = tmp_path / "bench.json"
    argv = [
        "--dimensions",
        "2",
        "--neurons-per-d",
        "5",
        "--steps",
        "3",
        "--reps",
        "1",
        "--minibatch",
        "1",
        "2",
        "--models",
        *sorted(MODELS),
        "--json",
        str(out),
    ]
    main(argv + ([] if xla else ["--no-xla"]))
    printed = capsys.readouterr().out
    results = json.loads(out.read_text())["results"]
    assert len(results) == 2 * len(MODELS)
    for row in results:
        assert row["model"] in printed
        assert row["nengo_tf"]["steps_per_s"] > 0 and row["nengo"]["steps_per_s"] > 0
        assert row["ratio"] == pytest.approx(
            row["nengo_tf"]["steps_per_s"] / row["nengo"]["steps_per_s"]
        )
