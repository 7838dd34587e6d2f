"""The deployable node image: both neurons start (``--help``) inside it. CI builds the image
with scripts/build_node_image.sh; elsewhere the test skips when the image is absent."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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


def test_the_compose_validator_reaches_the_docker_socket() -> None:
    """Found: the validator compose service (uid 10001) could not open the host's Docker
    socket (root:docker 0660) though `--sandbox docker` is the default. The same container
    command as docker/validator.compose.yaml, with and without its group_add."""
    why = _have_image()
    sock = "/var/run/docker.sock"
    if why is None and not os.path.exists(sock):
        why = f"no {sock}"
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must build the node image: {why}")
        pytest.skip(why)
    gid = str(os.stat(sock).st_gid)
    ping = "import docker; print(docker.from_env().ping())"

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        cmd = ["docker", "run", "--rm", "--network", "none", "-v", f"{sock}:{sock}", *extra]
        cmd += ["--entrypoint", "python3", IMAGE, "-c", ping]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    compose = (Path(__file__).resolve().parents[2] / "docker/validator.compose.yaml").read_text()
    assert "group_add:" in compose and "DOCKER_GID" in compose
    if gid != "0":  # a root-group socket is open to anyone in group 0 only
        assert "Permission denied" in run().stderr
    joined = run("--group-add", gid)
    assert joined.returncode == 0 and joined.stdout.strip() == "True", joined.stderr
