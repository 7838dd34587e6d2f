#!/usr/bin/env bash
# Makes a Docker engine available (root): installs docker.io if missing and starts dockerd in
# the background when `docker info` fails, then waits for it. Fast when the engine is up.
set -euo pipefail
if docker info >/dev/null 2>&1; then
    exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
    mkdir -p /var/log
    nohup dockerd >/var/log/clawbench-dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    sleep 1
done
echo "dockerd did not come up; see /var/log/clawbench-dockerd.log" >&2
tail -n 20 /var/log/clawbench-dockerd.log >&2 || true
exit 1
