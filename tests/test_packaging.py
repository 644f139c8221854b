"""Each package builds a wheel on its own, declares its siblings as version ranges, and the
dependency graph points one way (the optimizer and dists never need TensorFlow)."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "graph-optimizer": ("nengo_graph_optimizer", set()),
    "dists": ("nengo_dists", set()),
    "tf-builders": ("nengo_tf_builders", {"nengo-graph-optimizer"}),
    "tensor-layers": ("nengo_tensor_layers", {"nengo-tf-builders"}),
    "simulator": (
        "nengo_tf",
        {"nengo-graph-optimizer", "nengo-tf-builders", "nengo-tensor-layers", "nengo-dists"},
    ),
}


@pytest.mark.parametrize("folder", sorted(PACKAGES))
def test_wheel_builds_with_sibling_ranges(folder, tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT / "packages" / folder),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        metadata = next(n for n in zf.namelist() if n.endswith("METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in zf.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
        module = PACKAGES[folder][0]
        assert any(n.startswith(f"{module}/__init__.py") for n in zf.namelist())
    names = {r.split()[0].split("(")[0].split(">")[0].split("<")[0] for r in requires}
    siblings = {n for n in names if n.startswith("nengo-")}
    assert siblings == PACKAGES[folder][1]
    for req in requires:
        if req.split()[0] in siblings:
            assert ">=" in req and "<" in req, req  # a range, not a pin
    if folder in ("graph-optimizer", "dists"):
        assert "tensorflow" not in names
