"""The registered story generators, by name (a scenario's ``generator:`` names one)."""

from __future__ import annotations

from typing import Any

from clawbench.scenario._story import StoryGenerator

GENERATORS: dict[str, StoryGenerator[Any]] = {}


def _register() -> None:
    from clawbench.scenario._stories import (
        client_escalation,
        hiring_debrief,
        inbox_to_action,
        inbox_triage,
        morning_brief,
        post_incident_review,
        team_standup,
    )

    for module in (
        client_escalation,
        hiring_debrief,
        inbox_to_action,
        inbox_triage,
        morning_brief,
        post_incident_review,
        team_standup,
    ):
        name = module.__name__.rsplit(".", 1)[-1]
        GENERATORS[name] = StoryGenerator(name=name, data=module.Data, build=module.build)


_register()
