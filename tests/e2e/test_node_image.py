"""The deployable node image: both neurons start (``--help``) inside it. CI builds the image
with scripts/build_node_image.sh; elsewhere the test skips when the image is absent."""

from __future__ import annotations

import os
import subprocess

import pytest

import trajectoryrl

IMAGE = f"trajectoryrl-node:{trajectoryrl.NODE_VERSION}"


def _have_image() -> str | None:
    try:
        r = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"docker unavailable: {err}"
    return None if r.returncode == 0 else f"image {IMAGE} not built (scripts/build_node_image.sh)"


@pytest.mark.parametrize("neuron", ["neurons/validator.py", "neurons/miner.py"])
def test_neuron_help_runs_in_the_node_image(neuron: str) -> None:
    why = _have_image()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must build the node image: {why}")
        pytest.skip(why)
    r = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", IMAGE, neuron, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "--wallet.hotkey" in r.stdout and "--subtensor.network" in r.stdout
