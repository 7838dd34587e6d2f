"""Prometheus metrics, on a registry of their own so several validators (tests, localnet) can
live in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.epoch_seconds = Histogram(
            "trajectoryrl_epoch_seconds",
            "Epoch duration",
            registry=r,
            buckets=(10, 30, 60, 120, 300, 600, 1200, 3600),
        )
        self.episodes = Counter(
            "trajectoryrl_episodes_total", "Episodes evaluated", ["cached"], registry=r
        )
        self.model_errors = Counter(
            "trajectoryrl_model_errors_total", "Episodes ended by a model error", registry=r
        )
        self.rejections = Counter(
            "trajectoryrl_rejections_total", "Submissions rejected", ["reason"], registry=r
        )
        self.weights_set = Counter(
            "trajectoryrl_weights_set_total", "set_weights attempts", ["result"], registry=r
        )
        self.chain_errors = Counter(
            "trajectoryrl_chain_errors_total", "Chain unavailable", registry=r
        )
        self.evaluator_failures = Counter(
            "trajectoryrl_evaluator_failures_total",
            "Packs left unevaluated by a validator-side failure",
            registry=r,
        )
        self.budget_exceeded = Counter(
            "trajectoryrl_budget_exceeded_total", "Episodes refused by the budget guard", registry=r
        )

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        start_http_server(port, addr=addr, registry=self.registry)
