# The ClawBench sandbox: the world engine and its JSON-lines server, nothing else.
# Build it with the helper, which makes a minimal context and sets the labels the harness checks:
#   python3 clawbench/sandbox/container/build.py                         # on python:3.11-slim
#   python3 clawbench/sandbox/container/build.py --base clawbench-base:bookworm   # offline
# (scripts/build_base_image.sh makes clawbench-base:bookworm with debootstrap.)
# Everything here is standard-library Python: the image is attack surface, keep it small.
# The isolation itself (no network, read-only root, limits, ...) is set when the harness
# creates each container; see docs/sandbox.md.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ARG HARNESS_VERSION=unknown
ARG SOURCE_HASH=unknown
ARG BASE_ID=unknown
LABEL clawbench.image="sandbox" \
      clawbench.harness_version="${HARNESS_VERSION}" \
      clawbench.source_hash="${SOURCE_HASH}" \
      clawbench.base_id="${BASE_ID}"

COPY clawbench/world/engine/ /opt/clawbench/clawbench_engine/
COPY clawbench/sandbox/container/server.py /opt/clawbench/server.py
# Byte-compile now: the root filesystem is read-only at run time.
# No setuid/setgid binaries: nothing in the image can change its user (no-new-privileges
# already stops them; this removes them).
RUN python3 -m compileall -q /opt/clawbench && chmod -R a+rX,go-w /opt/clawbench \
 && mkdir -p /workspace && chmod 1777 /workspace \
 && find / -xdev -type f -perm /6000 -exec chmod a-s {} +

ENV LANG=C.UTF-8
USER 65534:65534
WORKDIR /workspace
# -E -s: no PYTHON* variables, no user site; -B: never try to write bytecode.
ENTRYPOINT ["python3", "-B", "-E", "-s", "/opt/clawbench/server.py"]
