"""Builds a Validator and its collaborators from a checked ``ValidatorConfig``.

Nothing here is decided at import time and nothing falls back silently: a missing wallet,
an unreachable chain or a missing key is an error that names the flag.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import structlog

from clawbench.agent import public_endpoint
from clawbench.sandbox import LocalSandbox, Sandbox
from clawbench.scenario import Scenario, load_suite
from trajectoryrl.audit import AuditLog
from trajectoryrl.chain import Chain
from trajectoryrl.ledger import BudgetGuard, Ledger, Provider, load_providers
from trajectoryrl.store import Store
from trajectoryrl.validator._collect import ChainClaims, GitVerifier, MinerQuerier
from trajectoryrl.validator._config import ConfigError, ValidatorConfig
from trajectoryrl.validator._daemon import EpochParams, Validator
from trajectoryrl.validator._evaluator import HarnessEvaluator, ModelFactory
from trajectoryrl.validator._metrics import Metrics
from trajectoryrl.validator._scripted import ScriptedModels
from trajectoryrl.winner import WinnerParams

log = structlog.get_logger("trajectoryrl.validator")


def usable_suite(suite: list[Scenario], sandbox: Sandbox) -> list[Scenario]:
    """Real-shell scenarios need the docker sandbox: with the local one they are left out,
    loudly, rather than failing every episode (local is a development backend)."""
    if not isinstance(sandbox, LocalSandbox):
        return suite
    kept = [s for s in suite if s.spec.real_workspace is None]
    for s in suite:
        if s.spec.real_workspace is not None:
            log.warning(
                "scenario_skipped",
                scenario=s.name,
                reason="real-shell scenario needs --sandbox docker",
            )
    return kept


def open_chain(cfg: ValidatorConfig) -> Chain:
    from trajectoryrl.chain import BittensorChain, LocalChain

    if cfg.subtensor_network == "local":
        assert cfg.local_chain_db is not None
        return LocalChain(cfg.local_chain_db.expanduser(), netuid=cfg.netuid)
    return BittensorChain(cfg.subtensor_network, cfg.netuid)


def load_wallet(cfg: ValidatorConfig) -> Any:
    import bittensor as bt

    wallet = bt.Wallet(
        name=cfg.wallet_name, hotkey=cfg.wallet_hotkey, path=str(cfg.wallet_path.expanduser())
    )
    try:
        _ = wallet.hotkey.ss58_address
    except Exception as err:
        raise ConfigError(
            f"wallet: cannot load hotkey {cfg.wallet_name}/{cfg.wallet_hotkey}: {err}"
        ) from None
    return wallet


def model_factory(cfg: ValidatorConfig) -> tuple[ModelFactory, str]:
    kind, _, name = cfg.model.partition(":")
    if kind == "scripted":
        models = ScriptedModels(Path(name).expanduser())
        return models, models.model_id
    from clawbench.agent import OpenAIModel

    client = OpenAIModel(
        name,
        base_url=cfg.model_base_url,
        api_key_env=cfg.model_api_key_env,
        timeout_s=cfg.model_timeout_s,
        retries=cfg.model_max_retries,
        max_tokens=cfg.model_max_tokens,
        tool_call_format=cfg.model_tool_call_format,
    )
    return (lambda instance, pack: client), model_id(cfg)


def model_id(cfg: ValidatorConfig) -> str:
    """The model's part of the evaluation cache key: everything that changes what an episode
    records (the endpoint, the per-answer token cap, how tool calls are read), so results
    of different settings are never mixed. Timeouts and retries change no answer: left out."""
    kind, _, name = cfg.model.partition(":")
    out = f"openai:{name}@{public_endpoint(cfg.model_base_url) or 'default'}"
    if cfg.model_max_tokens is not None:
        out += f";max_tokens={cfg.model_max_tokens}"
    if cfg.model_tool_call_format != "native":
        out += f";tool_calls={cfg.model_tool_call_format}"
    return out


def make_sandbox(cfg: ValidatorConfig) -> Sandbox:
    if cfg.sandbox == "local":
        return LocalSandbox()
    from clawbench.sandbox import DockerSandbox

    sandbox = DockerSandbox(image=cfg.sandbox_image) if cfg.sandbox_image else DockerSandbox()
    sandbox.check_image()  # refuses a missing image or one built for another harness version
    return sandbox


async def build_validator(
    cfg: ValidatorConfig,
    stack: AsyncExitStack,
    *,
    env: Mapping[str, str] | None = None,
    chain: Chain | None = None,
    wallet: Any = None,
    metrics: Metrics | None = None,
    source: Any = None,
    verifier: Any = None,
    model: tuple[ModelFactory, str] | None = None,
) -> Validator:
    """Everything the loop needs; ``stack`` closes what was opened. Keyword collaborators
    override the configured ones (localnet and tests)."""
    from trajectoryrl.verify import (
        GitCache,
        GitHubForge,
        LocalForge,
        PersistedForge,
        SubmissionVerifier,
        UnknownPushPolicy,
        VerifyContext,
    )

    environ = dict(os.environ if env is None else env)
    state = cfg.state_dir.expanduser()
    state.mkdir(parents=True, exist_ok=True)
    metrics = metrics or Metrics()
    if cfg.metrics_port:
        metrics.serve(cfg.metrics_port)
    if wallet is None:
        wallet = load_wallet(cfg)
    hotkey = wallet if isinstance(wallet, str) else wallet.hotkey.ss58_address
    if chain is None:
        chain = open_chain(cfg)
        stack.push_async_callback(chain.close)
    store = Store(state / "state.db")
    stack.callback(store.close)
    sandbox = make_sandbox(cfg)
    suite = usable_suite(load_suite(cfg.suite_dir.expanduser()), sandbox)
    factory, model_id = model or model_factory(cfg)
    ledger = provider = budget = None
    if cfg.providers_file and cfg.provider:
        providers: dict[str, Provider] = load_providers(cfg.providers_file.expanduser())
        if cfg.provider not in providers:
            raise ConfigError(f"--provider: {cfg.provider!r} is not in {cfg.providers_file}")
        provider = providers[cfg.provider]
        ledger = Ledger(store)
        if cfg.budget_daily_usd or cfg.budget_monthly_usd:
            budget = BudgetGuard(
                ledger, daily_usd=cfg.budget_daily_usd, monthly_usd=cfg.budget_monthly_usd
            )
    evaluator = HarnessEvaluator(
        suite=suite,
        model_factory=factory,
        model_id=model_id,
        sandbox=sandbox,
        store=store,
        concurrency=cfg.concurrency,
        budget=budget,
        ledger=ledger,
        provider=provider,
        metrics=metrics,
    )
    if verifier is None:
        if cfg.forge == "local":
            forge: Any = LocalForge()
        else:
            forge = GitHubForge(
                base_url=cfg.github_api_url, token=environ.get(cfg.github_token_env) or None
            )
        ctx = VerifyContext(
            cache=GitCache(state / "repos", local_network=cfg.local_network),
            forge=PersistedForge(forge, store),
            unknown_push_policy=UnknownPushPolicy.ACCEPT_PROVISIONALLY
            if cfg.push_time_unknown == "accept"
            else UnknownPushPolicy.REJECT,
        )
        verifier = GitVerifier(SubmissionVerifier(ctx))
    if source is None:
        signer = wallet if isinstance(wallet, str) else wallet.hotkey
        live = MinerQuerier(signer, hotkey, timeout_s=cfg.query_timeout_s, metrics=metrics)
        source = ChainClaims(chain, live, epoch_blocks=cfg.epoch_blocks, metrics=metrics)
    return Validator(
        chain=chain,
        wallet=wallet,
        hotkey=hotkey,
        store=store,
        audit=AuditLog(state / "audit.jsonl"),
        source=source,
        verifier=verifier,
        evaluator=evaluator,
        metrics=metrics,
        params=EpochParams(
            epoch_blocks=cfg.epoch_blocks,
            seeds_per_scenario=cfg.seeds_per_scenario,
            winner=WinnerParams(delta=cfg.delta, no_winner_policy=cfg.no_winner_policy),
        ),
    )
