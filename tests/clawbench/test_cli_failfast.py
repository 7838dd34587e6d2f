"""Fail fast, say why; resume. Every test runs the real ``clawbench`` command as a
subprocess against a local stand-in endpoint on 127.0.0.1 (no network)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from clawbench.agent import ScriptedModelServer, load_script

PUBLIC_SUITE = Path(__file__).parent / "data" / "public_suite"
REFERENCE = """turns:
  - tool_calls:
      - {name: exec, arguments: {command: "himalaya envelope list"}}
  - tool_calls:
      - {name: exec, arguments: {command: "himalaya message read msg_001"}}
  - content: "Urgent: the board wants the Q3 deck (slides) by 3pm. I drafted nothing yet."
"""
CLI = [sys.executable, "-m", "clawbench.cli"]


def clawbench(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "100", "OPENAI_API_KEY": "sk-test", **(env or {})}
    full_env.pop("OPENAI_BASE_URL", None)
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    d = tmp_path / "suite"
    shutil.copytree(PUBLIC_SUITE, d)
    pack = d / "packs" / "mini_inbox" / "optimized"
    assert clawbench("pack", "init", str(pack)).returncode == 0
    sdir = d / "scripts" / "mini_inbox"
    sdir.mkdir(parents=True)
    (sdir / "reference.yaml").write_text(REFERENCE, encoding="utf-8")
    return d


# --- stand-in endpoints ------------------------------------------------------------------
class FixedServer:
    """Answers every request with one canned reply (status, content type, body)."""

    def __init__(self, status: int, body: str, ctype: str = "application/json") -> None:
        outer = self
        self.paths: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                outer.paths.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class ScriptedThread:
    """The harness's own OpenAI-compatible ScriptedModelServer, on its own event loop."""

    def __init__(self, script: Path, hang_s: float = 60.0) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = ScriptedModelServer({"m1": load_script(script)}, hang_s=hang_s)
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.base_url = self._call(self.server.start())

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def fail_next(self, *faults: Any) -> None:
        self.loop.call_soon_threadsafe(self.server.fail_next, *faults)

    def close(self) -> None:
        if self.loop.is_running():
            self._call(self.server.stop())
            self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def fixed() -> Iterator[Callable[..., FixedServer]]:
    servers: list[FixedServer] = []

    def make(status: int, body: str, ctype: str = "application/json") -> FixedServer:
        servers.append(FixedServer(status, body, ctype))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture
def scripted(suite: Path) -> Iterator[ScriptedThread]:
    srv = ScriptedThread(suite / "scripts" / "mini_inbox" / "reference.yaml")
    yield srv
    srv.close()


def run_args(suite: Path, out: Path, base_url: str, *extra: str) -> list[str]:
    return [
        "run",
        str(suite / "packs" / "mini_inbox" / "optimized"),
        "--suite",
        str(suite),
        "--model",
        "openai:m1",
        "--base-url",
        base_url,
        "--out",
        str(out),
        *extra,
    ]


# --- preflight ---------------------------------------------------------------------------
def test_a_rejected_key_stops_the_run_before_any_episode(
    suite: Path, tmp_path: Path, fixed: Callable[..., FixedServer]
) -> None:
    srv = fixed(401, json.dumps({"error": {"message": "Incorrect API key provided"}}))
    out = tmp_path / "run"
    r = clawbench(*run_args(suite, out, srv.base_url, "--seeds", "0..4"))
    assert r.returncode == 4, r.stderr
    assert "[model_key_rejected]" in r.stderr
    assert "$OPENAI_API_KEY" in r.stderr and "HTTP 401" in r.stderr
    assert "Incorrect API key provided" in r.stderr
    assert "sk-test" not in r.stderr + r.stdout  # the key itself never printed
    assert srv.paths == ["GET /v1/models"]  # one request, not 5 episodes x retries
    assert not out.exists()  # nothing written


def test_an_html_reply_is_named_as_such(
    suite: Path, tmp_path: Path, fixed: Callable[..., FixedServer]
) -> None:
    srv = fixed(200, "<!DOCTYPE html><html><body>Welcome</body></html>", "text/html")
    r = clawbench(*run_args(suite, tmp_path / "run", srv.base_url))
    assert r.returncode == 4
    assert "[endpoint_not_api]" in r.stderr and "HTML page" in r.stderr
    assert "/v1" in r.stderr  # the hint


def test_a_bad_url_is_a_usage_error_not_a_retried_connection_error(
    suite: Path, tmp_path: Path
) -> None:
    r = clawbench(*run_args(suite, tmp_path / "run", "not-a-url"))
    assert r.returncode == 2
    assert "[bad_url]" in r.stderr and "'not-a-url' is not an http(s) URL" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_an_unreachable_endpoint_fails_at_once(suite: Path, tmp_path: Path) -> None:
    r = clawbench(*run_args(suite, tmp_path / "run", "http://127.0.0.1:9/v1"))
    assert r.returncode == 4
    assert "[endpoint_unreachable]" in r.stderr and "127.0.0.1:9" in r.stderr


def test_a_model_the_endpoint_does_not_offer(
    suite: Path, tmp_path: Path, scripted: ScriptedThread
) -> None:
    args = run_args(suite, tmp_path / "run", scripted.base_url)
    args[args.index("openai:m1")] = "openai:gpt-nope"
    r = clawbench(*args)
    assert r.returncode == 4
    assert "[model_not_found]" in r.stderr and "'gpt-nope'" in r.stderr


def test_docker_down_is_found_before_any_episode(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = clawbench(
        "run",
        str(suite / "packs" / "mini_inbox" / "optimized"),
        "--suite",
        str(suite),
        "--model",
        f"scripted:{suite / 'scripts'}",
        "--sandbox",
        "docker",
        "--out",
        str(out),
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"},
    )
    assert r.returncode == 4, r.stderr
    assert "[sandbox_unavailable]" in r.stderr and "is Docker running?" in r.stderr
    assert not out.exists()


def test_preflight_can_be_skipped_and_each_kind_of_failure_is_printed_once_with_its_cause(
    suite: Path, tmp_path: Path, fixed: Callable[..., FixedServer]
) -> None:
    srv = fixed(401, json.dumps({"error": {"message": "bad key"}}))
    out = tmp_path / "run"
    r = clawbench(*run_args(suite, out, srv.base_url, "--seeds", "0..2", "--no-preflight"))
    assert r.returncode == 3, r.stderr
    assert "preflight skipped" in r.stdout
    # the first failure of its kind, with the cause, as it happens; then a count
    assert r.stdout.count("evaluator failure [model_rejected]") == 1
    assert "HTTP 401" in r.stdout
    assert "3 episode(s) failed with [model_rejected]" in r.stdout
    summary = json.loads((out / "summary.json").read_text())
    # evaluator failures are never a zero
    assert summary["final"] is None and summary["qualified"] is None
    assert summary["evaluator_failures"] == 3 and summary["verdict"] is False
    assert "0.000" not in r.stdout.split("summary:")[1]


def test_retries_show_in_the_progress_bar(
    suite: Path, tmp_path: Path, scripted: ScriptedThread
) -> None:
    scripted.fail_next(503, 503)
    out = tmp_path / "run"
    r = clawbench(*run_args(suite, out, scripted.base_url))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "preflight ok" in r.stdout
    assert "2 retries" in r.stdout


# --- interrupt and resume ----------------------------------------------------------------
def test_ctrl_c_keeps_episodes_exits_130_and_resume_runs_only_the_rest(
    suite: Path, tmp_path: Path, scripted: ScriptedThread
) -> None:
    out = tmp_path / "run"
    scripted.server.hang_s = 1.0  # every model call takes a second: episodes are slow
    scripted.fail_next(*(["hang"] * 100))
    env = {**os.environ, "COLUMNS": "100", "OPENAI_API_KEY": "sk-test"}
    proc = subprocess.Popen(
        [*CLI, *run_args(suite, out, scripted.base_url, "--seeds", "0..3", "--concurrency", "1")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    tdir = out / "trajectories"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if tdir.is_dir() and any(tdir.glob("*.json")):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    saved = sorted(p.name for p in tdir.glob("*.json"))
    assert 1 <= len(saved) < 4
    assert f"{len(saved)} of 4 episodes saved" in stderr
    assert f"resume with: clawbench run --resume {out}" in stderr

    # A partial run says so everywhere: report and summary.json.
    rep = clawbench("report", str(out))
    assert rep.returncode == 0, rep.stderr
    assert f"{len(saved)} of 4" in rep.stdout and "partial run" in rep.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is False and summary["episodes_expected"] == 4

    # Re-running into the folder is refused with the way forward.
    again = clawbench(*run_args(suite, out, scripted.base_url))
    assert again.returncode == 2 and "--resume" in again.stderr

    before = {p: p.read_bytes() for p in tdir.glob("*.json")}
    scripted.close()
    fresh = ScriptedThread(suite / "scripts" / "mini_inbox" / "reference.yaml")
    try:
        res = clawbench("run", "--resume", str(out), "--base-url", fresh.base_url)
    finally:
        fresh.close()
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{4 - len(saved)} of 4 episodes to run" in res.stdout
    assert "4 of 4" in res.stdout
    for p, data in before.items():  # finished episodes were not re-run
        assert p.read_bytes() == data
    assert len(list(tdir.glob("*.json"))) == 4
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is True and summary["final"] is not None


def test_resume_reruns_evaluator_failures_and_nothing_else(
    suite: Path, tmp_path: Path, fixed: Callable[..., FixedServer], scripted: ScriptedThread
) -> None:
    out = tmp_path / "run"
    bad = fixed(401, json.dumps({"error": {"message": "bad key"}}))
    r = clawbench(*run_args(suite, out, bad.base_url, "--seeds", "0..1", "--no-preflight"))
    assert r.returncode == 3
    assert f"finish it with: clawbench run --resume {out}" in r.stdout
    res = clawbench("run", "--resume", str(out), "--base-url", scripted.base_url)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 of 2 episodes to run (0 missing, 2 evaluator failure(s))" in res.stdout
    nothing = clawbench("run", "--resume", str(out), "--base-url", scripted.base_url)
    assert nothing.returncode == 0 and "nothing to resume" in nothing.stdout


def test_resume_refuses_a_different_model(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = clawbench(
        "run",
        str(suite / "packs" / "mini_inbox" / "optimized"),
        "--suite",
        str(suite),
        "--model",
        f"scripted:{suite / 'scripts'}",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    r = clawbench("run", "--resume", str(out), "--model", "openai:other")
    assert r.returncode == 2 and "keeps its model" in r.stderr


def test_exit_codes_are_documented_in_help() -> None:
    r = clawbench("run", "--help")
    assert r.returncode == 0
    for line in ("3  evaluator failure", "4  preflight failed", "130  interrupted"):
        assert line in r.stdout


def test_the_html_page_of_a_partial_run_says_n_of_n(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = clawbench(
        "run",
        str(suite / "packs" / "mini_inbox" / "optimized"),
        "--suite",
        str(suite),
        "--model",
        f"scripted:{suite / 'scripts'}",
        "--seeds",
        "0..2",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    (out / "trajectories" / "mini_inbox__seed2.json").unlink()  # as if interrupted
    rep = clawbench("report", str(out))
    assert rep.returncode == 0
    html = (out / "report.html").read_text()
    assert '<span id="coverage">2 of 3 episodes</span>' in html
    assert "partial run: 2 of 3 episodes" in html and f"--resume {out}" in html


def test_compare_warns_when_runs_cover_different_scenarios_or_seeds(
    suite: Path, tmp_path: Path
) -> None:
    def run(out: Path, seeds: str) -> None:
        r = clawbench(
            "run",
            str(suite / "packs" / "mini_inbox" / "optimized"),
            "--suite",
            str(suite),
            "--model",
            f"scripted:{suite / 'scripts'}",
            "--seeds",
            seeds,
            "--out",
            str(out),
        )
        assert r.returncode == 0, r.stderr

    run(tmp_path / "a", "0..1")
    run(tmp_path / "b", "0..2")
    r = clawbench("compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert r.returncode == 0
    assert "warning: the runs use different seeds (A [0, 1], B [0, 1, 2])" in r.stdout
    same = clawbench("compare", str(tmp_path / "a"), str(tmp_path / "a"))
    assert "warning" not in same.stdout


def test_the_report_is_a_trajectory_viewer_in_headless_chromium(
    suite: Path, tmp_path: Path
) -> None:
    """`clawbench run` + `report` as processes, the page rendered by Chromium: the whole
    conversation (the pack as system prompt, the task, the assistant's calls inline, long
    results folded) and the check x seed grid. A screenshot is kept for looking at."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI")
        pytest.skip("chromium not installed")
    out = tmp_path / "run"
    (suite / "packs" / "mini_inbox" / "optimized" / "AGENTS.md").write_text(
        "# AGENTS.md\n" + "Read the inbox before answering. " * 30, encoding="utf-8"
    )
    r = clawbench(
        "run", str(suite / "packs" / "mini_inbox" / "optimized"), "--suite", str(suite),
        "--model", f"scripted:{suite / 'scripts'}", "--seeds", "0..1", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert clawbench("report", str(out)).returncode == 0
    page = (out / "report.html").as_uri()
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    dom = subprocess.run(
        [*common, "--dump-dom", page], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert dom.count('class="msg system"') == 2 and dom.count('class="msg user"') == 2
    assert "system (the pack)" in dom and "Read the inbox before answering." in dom
    assert '<details class="fold">' in dom  # the long pack text is folded
    assert '→ <code>exec({"command": "himalaya envelope list"})</code>' in dom
    assert 'class="grid" data-scenario="mini_inbox"' in dom
    assert "<th>seed 0</th><th>seed 1</th>" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, "--window-size=1100,1800", f"--screenshot={shot}", page],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.stat().st_size > 10_000
