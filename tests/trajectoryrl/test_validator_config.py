"""Validator configuration: flags over environment over .env, and clear errors at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajectoryrl.validator._config import ConfigError, load_config


def test_precedence_flags_then_env_then_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nTRAJECTORYRL_NETUID=7\nexport TRAJECTORYRL_CONCURRENCY='3'\nTRAJECTORYRL_DELTA=0.1\n"
    )
    cfg, _ = load_config(
        ["--env-file", str(env_file), "--delta", "0.2", "--logging.debug"],
        env={"TRAJECTORYRL_CONCURRENCY": "5"},
    )
    assert (cfg.netuid, cfg.concurrency, cfg.delta, cfg.logging_debug) == (7, 5, 0.2, True)


def test_bad_values_name_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(
            [
                "--env-file",
                "/none",
                "--subtensor.network",
                "mainnet",
                "--concurrency",
                "0",
                "--model",
                "gpt",
            ],
            env={},
        )
    text = str(err.value)
    assert "--subtensor.network: must be local, finney, test" in text
    assert "--concurrency" in text and "--model: must be openai:<model name>" in text


def test_environment_problems_are_listed_not_crashed_on(tmp_path: Path) -> None:
    cfg, _ = load_config(
        [
            "--env-file",
            "/none",
            "--wallet.path",
            str(tmp_path),
            "--subtensor.network",
            "local",
            "--suite.dir",
            str(tmp_path / "nope"),
            "--budget.daily_usd",
            "5",
        ],
        env={},
    )
    problems = "\n".join(cfg.check_environment(env={}))
    assert "no hotkey file" in problems
    assert "OPENAI_API_KEY is not set" in problems
    assert "scenarios folder" in problems
    assert "--local_chain.db" in problems
    assert "caps need --providers.file" in problems


def test_a_bad_env_file_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    f = tmp_path / ".env"
    f.write_text("OK=1\nthis is not a pair\n")
    with pytest.raises(ConfigError, match=r"\.env:2"):
        load_config(["--env-file", str(f)], env={})


def test_model_client_settings_and_their_cache_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trajectoryrl.validator._build import model_factory, model_id

    env_file = str(tmp_path / "none.env")
    base = ["--env-file", env_file, "--model.base_url", "https://u:pw@gw.example/v1?key=zzz"]
    plain, _ = load_config(base, env={})
    cfg, _ = load_config(
        [*base, "--model.max_retries", "1", "--model.max_tokens", "256"],
        env={"TRAJECTORYRL_MODEL_TOOL_CALL_FORMAT": "text"},
    )
    assert (cfg.model_max_retries, cfg.model_max_tokens, cfg.model_tool_call_format) == (
        1,
        256,
        "text",
    )
    # the cache key never carries credentials, and differs when answers would differ
    assert model_id(plain) == "openai:gpt-4o-mini@https://gw.example/v1;max_tokens=4096"
    assert (
        model_id(cfg) == "openai:gpt-4o-mini@https://gw.example/v1;max_tokens=256;tool_calls=text"
    )
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    factory, ident = model_factory(cfg)
    client = factory(None, None)  # type: ignore[arg-type]
    assert ident == model_id(cfg) and "pw" not in ident and "zzz" not in ident
    assert (client.retries, client.max_tokens, client.tool_call_format) == (1, 256, "text")
    # Attack: a pack steering its model into one endless answer outran the call timeout, our
    # failure (retried, then carried over). By default one answer is capped (cut there, the
    # episode ends max_tokens: the pack's) at a size far inside the timeout.
    default_client = model_factory(plain)[0](None, None)  # type: ignore[arg-type]
    assert default_client.max_tokens == 4096 and plain.model_timeout_s >= 4096 / 40
    assert client.info.tool_call_format == "text"
    with pytest.raises(ConfigError):
        load_config([*base, "--model.tool_call_format", "xml"], env={})
