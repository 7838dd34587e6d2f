#!/usr/bin/env bash
# CI set-up (run by .ci/run as root): a Docker engine, the debootstrap base image and the
# sandbox image, so the docker tests run (with CI=true they never skip). Idempotent; a few
# seconds when everything exists.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)  # the HTML report test
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
scripts/ci_docker.sh
base=$(scripts/build_base_image.sh)
python3 clawbench/sandbox/container/build.py --base "$base"
# The node image (validator and miner) on a local debootstrap base; a test runs both --help in it.
scripts/build_node_image.sh >/dev/null
