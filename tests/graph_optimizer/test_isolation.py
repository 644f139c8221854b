"""nengo-graph-optimizer is backend-agnostic: importing it never loads TensorFlow."""

import subprocess
import sys


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, nengo_graph_optimizer, nengo_dists; "
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
