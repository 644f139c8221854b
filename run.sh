#!/usr/bin/env bash
# One-command set-up and run:   bash run.sh main    (the main job)
#                               bash run.sh test    (all tests, including nengo's own suite)
# Creates .venv with Python 3.11+ and installs everything on the first call.
set -euo pipefail
cd "$(dirname "$0")"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import nengo_tf, pytest_rng, tensorboard" 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r requirements-dev.txt
fi
PY=.venv/bin/python

case "${1:-}" in
    main)
        shift
        "$PY" -m nengo_tf digits --out outputs "$@"
        ;;
    test)
        shift
        # our tests, then nengo's backend test suite against nengo_tf.Simulator
        "$PY" -m pytest tests -n 2 -q "$@"
        "$PY" -m pytest -c tests/nengo_suite/pytest.ini --pyargs nengo -n 2 -q -p no:cacheprovider "$@"
        ;;
    *)
        echo "usage: bash run.sh main|test [pytest or digits options]" >&2
        exit 2
        ;;
esac
