"""Validator configuration: Bittensor-style flags, then ``TRAJECTORYRL_*`` environment
variables, then a ``.env`` file, then defaults; validated once at start.

Every flag ``--a.b`` has the environment twin ``TRAJECTORYRL_A_B``. Secrets (API keys,
GitHub tokens) are never flags: the config holds the *name* of the variable that holds them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(Exception):
    code = "config_invalid"


class ValidatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    netuid: int = Field(default=11, ge=0)
    wallet_name: str = "default"
    wallet_hotkey: str = "default"
    wallet_path: Path = Path("~/.bittensor/wallets")
    subtensor_network: str = "finney"  # local | finney | test | ws://... | wss://...
    local_chain_db: Path | None = None  # the embedded chain's file when network is "local"
    logging_debug: bool = False
    logging_trace: bool = False  # as --logging.debug (structlog has no finer level)
    logging_info: bool = False  # the default level, accepted for other subnets' pm2 configs
    state_dir: Path = Path("~/.trajectoryrl/validator")
    suite_dir: Path = Path("scenarios")
    model: str = "openai:gpt-4o-mini"  # openai:<model> | scripted:<scripts dir>
    model_base_url: str | None = None
    model_api_key_env: str = "OPENAI_API_KEY"
    model_timeout_s: float = Field(default=120.0, gt=0)
    model_max_retries: int = Field(default=4, ge=0)
    # Tokens per answer. Capped by default so one answer fits well inside model_timeout_s: a
    # pack can steer its model into an endless answer, and an answer cut at the cap is the
    # pack's limit hit (finish_reason length), where a timeout would be ours.
    model_max_tokens: int | None = Field(default=4096, ge=1)
    model_tool_call_format: Literal["native", "text"] = "native"
    sandbox: Literal["local", "docker"] = "docker"
    sandbox_image: str | None = None
    epoch_blocks: int = Field(default=60, gt=0)
    seeds_per_scenario: int = Field(default=1, ge=1)
    concurrency: int = Field(default=8, ge=1)
    delta: float = Field(default=0.05, ge=0)
    no_winner_policy: Literal["burn", "skip"] = "burn"
    budget_daily_usd: float | None = Field(default=None, gt=0)
    budget_monthly_usd: float | None = Field(default=None, gt=0)
    providers_file: Path | None = None
    provider: str | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    forge: Literal["github", "local"] = "github"
    github_api_url: str = "https://api.github.com"
    github_token_env: str = "GITHUB_TOKEN"
    push_time_unknown: Literal["accept", "reject"] = "reject"
    local_network: bool = False  # allow file:// and loopback repository URLs (localnet only)
    query_timeout_s: float = Field(default=12.0, gt=0)

    @field_validator("subtensor_network")
    @classmethod
    def _network(cls, v: str) -> str:
        if v in ("local", "finney", "test") or v.startswith(("ws://", "wss://")):
            return v
        raise ValueError("must be local, finney, test, or a ws:// / wss:// endpoint")

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        kind, _, name = v.partition(":")
        if kind not in ("openai", "scripted") or not name:
            raise ValueError("must be openai:<model name> or scripted:<scripts dir>")
        return v

    def expanded(self, path: Path) -> Path:
        return path.expanduser()

    def check_environment(self, env: Mapping[str, str]) -> list[str]:
        """Problems an operator must fix before the validator can run (named, not crashed on)."""
        problems = []
        wallet_dir = self.wallet_path.expanduser() / self.wallet_name
        hotkey_file = wallet_dir / "hotkeys" / self.wallet_hotkey
        if not hotkey_file.exists():
            problems.append(
                f"wallet: no hotkey file at {hotkey_file} (--wallet.name/--wallet.hotkey/--wallet.path)"
            )
        if self.model.startswith("openai:") and not env.get(self.model_api_key_env):
            problems.append(f"model: the API key variable {self.model_api_key_env} is not set")
        if (
            self.model.startswith("scripted:")
            and not Path(self.model.split(":", 1)[1]).expanduser().is_dir()
        ):
            problems.append(f"model: scripts folder {self.model.split(':', 1)[1]} does not exist")
        if not self.suite_dir.expanduser().is_dir():
            problems.append(f"suite: scenarios folder {self.suite_dir} does not exist")
        if self.subtensor_network == "local" and self.local_chain_db is None:
            problems.append(
                "chain: --subtensor.network local needs --local_chain.db (the localnet's chain file)"
            )
        if (
            self.subtensor_network == "local"
            and self.local_chain_db is not None
            and not self.local_chain_db.expanduser().is_file()
        ):
            # A mistyped path must not silently become a new, empty chain.
            problems.append(
                f"chain: no local chain file at {self.local_chain_db} (--local_chain.db; "
                "`trajectoryrl localnet` creates one)"
            )
        if self.forge == "local" and not self.local_network:
            problems.append("forge: the local forge is only for local networks (--local_network)")
        if (self.budget_daily_usd or self.budget_monthly_usd) and not (
            self.providers_file and self.provider
        ):
            problems.append(
                "budget: caps need --providers.file and --provider to price model calls"
            )
        return problems


# flag -> field; the flag list is the documented interface (docs/validator.md)
_FLAGS: dict[str, str] = {
    f: f.replace(".", "_")
    for f in (
        "netuid",
        "wallet.name",
        "wallet.hotkey",
        "wallet.path",
        "subtensor.network",
        "local_chain.db",
        "state.dir",
        "suite.dir",
        "model",
        "model.base_url",
        "model.api_key_env",
        "model.timeout_s",
        "model.max_retries",
        "model.max_tokens",
        "model.tool_call_format",
        "sandbox",
        "sandbox.image",
        "epoch.blocks",
        "seeds_per_scenario",
        "concurrency",
        "delta",
        "no_winner_policy",
        "budget.daily_usd",
        "budget.monthly_usd",
        "providers.file",
        "provider",
        "metrics.port",
        "forge",
        "github.api_url",
        "github.token_env",
        "push_time_unknown",
        "query_timeout_s",
    )
}
_BOOL_FLAGS = {
    "logging.debug": "logging_debug",
    "logging.trace": "logging_trace",
    "logging.info": "logging_info",
    "local_network": "local_network",
}
# Old or other-subnet spellings, still accepted: alias -> the documented flag.
_ALIASES = {"chain.db": "local_chain.db"}

_HELP = {
    "netuid": "the subnet id",
    "wallet.name": "the wallet (coldkey) name under --wallet.path",
    "wallet.hotkey": "the hotkey name in the wallet",
    "wallet.path": "where wallets live",
    "subtensor.network": "finney | test | local | ws://host:port | wss://host:port "
    "(local: the embedded chain in --local_chain.db)",
    "local_chain.db": "the local chain's file with --subtensor.network local; must exist "
    "(alias --chain.db)",
    "state.dir": "the validator's state (state.db, audit.jsonl)",
    "suite.dir": "the ClawBench scenario suite",
    "model": "openai:<model name> | scripted:<scripts dir>",
    "model.base_url": "the OpenAI-compatible endpoint (default: OpenAI)",
    "model.api_key_env": "the NAME of the variable holding the API key (never the key)",
    "model.timeout_s": "seconds per model call",
    "model.max_retries": "retries per model call",
    "model.max_tokens": "tokens per answer (default 4096; an answer cut there is the pack's)",
    "model.tool_call_format": "native | text",
    "sandbox": "docker | local (local: trusted packs only)",
    "sandbox.image": "the sandbox image (default: this harness's)",
    "epoch.blocks": "blocks per epoch",
    "seeds_per_scenario": "seeds each scenario runs per pack",
    "concurrency": "episodes in flight",
    "delta": "first-mover margin a later pack must beat",
    "no_winner_policy": "burn | skip",
    "budget.daily_usd": "daily LLM spend cap in USD (needs --providers.file, --provider)",
    "budget.monthly_usd": "monthly LLM spend cap in USD",
    "providers.file": "the price table (YAML)",
    "provider": "the provider in --providers.file",
    "metrics.port": "serve Prometheus metrics on this port (1-65535)",
    "forge": "github | local (local: localnet only)",
    "github.api_url": "the GitHub API",
    "github.token_env": "the NAME of the variable holding a GitHub token",
    "push_time_unknown": "accept | reject a commit whose push time cannot be established",
    "query_timeout_s": "seconds to wait for each miner's answer",
}


def build_arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neurons/validator.py",
        description="TrajectoryRL validator: evaluates miners' policy packs on ClawBench and sets weights.",
        epilog="Every flag --a.b can also be set as TRAJECTORYRL_A_B in the environment or a .env "
        "file. Exit codes: 0 done, 2 cannot start (one line per problem), 130 stopped mid-step.",
    )
    aliases = {v: k for k, v in _ALIASES.items()}
    for flag, field in _FLAGS.items():
        default = ValidatorConfig.model_fields[field].default
        names = [f"--{flag}"] + ([f"--{aliases[flag]}"] if flag in aliases else [])
        desc = _HELP.get(flag, "")
        p.add_argument(*names, dest=field, default=None, help=f"{desc} (default: {default})")
    p.add_argument(
        "--subtensor.chain_endpoint",
        dest="chain_endpoint",
        default=None,
        help="ws:// or wss:// endpoint; overrides --subtensor.network (Bittensor convention)",
    )
    for flag, field in _BOOL_FLAGS.items():
        helps = {
            "logging_debug": "debug logs",
            "logging_trace": "the most detailed logs (same as --logging.debug here)",
            "logging_info": "info logs (the default)",
            "local_network": "allow file:// and loopback repository URLs (localnet only)",
        }
        p.add_argument(
            f"--{flag}", dest=field, action="store_true", default=None, help=helps[field]
        )
    p.add_argument("--env-file", default=".env", help="a .env file read for TRAJECTORYRL_* values")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="stop after this many epochs (default: run forever)",
    )
    return p


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; '#' comments; optional quotes. Nothing is exported to os.environ."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(f"{path}:{n}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def load_config(
    argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None
) -> tuple[ValidatorConfig, argparse.Namespace]:
    args = build_arg_parser().parse_args(argv)
    environ = dict(os.environ if env is None else env)
    from_file = read_env_file(Path(args.env_file))
    known = {f"TRAJECTORYRL_{f.upper()}" for f in [*_FLAGS.values(), *_BOOL_FLAGS.values()]}
    for key in from_file:
        if key.startswith("TRAJECTORYRL_") and key not in known:
            import difflib

            near = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ConfigError(f"{args.env_file}: unknown key {key}{hint}")
    merged_env = {**from_file, **environ}
    values: dict[str, object] = {}
    for field in list(_FLAGS.values()) + list(_BOOL_FLAGS.values()):
        cli = getattr(args, field)
        env_value = merged_env.get(f"TRAJECTORYRL_{field.upper()}")
        if cli is not None:
            values[field] = cli
        elif env_value is not None:
            values[field] = (
                env_value.lower() in ("1", "true", "yes")
                if field in _BOOL_FLAGS.values()
                else env_value
            )
    if args.chain_endpoint:  # Bittensor's rule: an explicit endpoint wins over the network
        values["subtensor_network"] = args.chain_endpoint
    try:
        return ValidatorConfig.model_validate(values), args
    except ValidationError as err:
        lines = []
        for e in err.errors():
            field = str(e["loc"][0]) if e["loc"] else "?"
            flag = next((f for f, fld in {**_FLAGS, **_BOOL_FLAGS}.items() if fld == field), field)
            lines.append(f"--{flag}: {e['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid configuration: " + "; ".join(lines)) from None
