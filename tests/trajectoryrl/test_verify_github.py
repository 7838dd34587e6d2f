"""GitHubForge through the real PyGithub client against a GitHub REST stand-in on 127.0.0.1."""

from __future__ import annotations

from datetime import datetime

import pytest
from fakes.github import FakeGitHub, RepoBehaviour, push_event

from trajectoryrl.verify import GitHubForge, PushTime, PushTimeUnknown

HEAD = "1" * 40
INNER = "2" * 40
URL = "https://github.com/Owner/Repo"


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def github():
    fake = FakeGitHub()
    with fake.running():
        yield fake


def _forge(fake: FakeGitHub, **kw) -> GitHubForge:
    return GitHubForge(base_url=fake.base_url, **kw)


async def test_found_by_head_and_by_commit_list_earliest_wins(github) -> None:
    github.repos["owner/repo"] = RepoBehaviour(
        events=[
            {"id": "9", "type": "WatchEvent", "created_at": "2026-11-03T00:00:00Z", "payload": {}},
            push_event(HEAD, "2026-11-02T10:00:00Z", event_id="3"),  # re-push of the same head
            push_event("3" * 40, "2026-11-01T12:00:00Z", commits=[INNER, "3" * 40], event_id="2"),
            push_event(HEAD, "2026-11-01T09:00:00Z", event_id="1"),
        ]
    )
    forge = _forge(github, token="tkn")
    got = await forge.push_time(URL, HEAD)
    assert got == PushTime(when=_ts("2026-11-01T09:00:00Z"), source="github_events")
    inner = await forge.push_time(URL, INNER)
    assert isinstance(inner, PushTime) and inner.when == _ts("2026-11-01T12:00:00Z")
    assert github.requests[0].startswith("/repos/Owner/Repo/events")
    assert github.auth_headers[0] == "token tkn" and "tkn" not in repr(forge)


async def test_not_found_repo_and_missing_push(github) -> None:
    github.repos["owner/repo"] = RepoBehaviour(events=[push_event(HEAD, "2026-11-01T09:00:00Z")])
    forge = _forge(github)
    assert await forge.push_time(URL, "4" * 40) == PushTimeUnknown(
        reason="push_not_found", detail="no push event holds the commit (90-day window)"
    )
    got = await forge.push_time("https://github.com/nobody/none", HEAD)
    assert isinstance(got, PushTimeUnknown) and got.reason == "repo_not_found"
    assert github.auth_headers[0] is None  # no token: unauthenticated


async def test_rate_limit_with_near_reset_is_retried_once(github) -> None:
    now = 1_800_000_000.0
    github.repos["owner/repo"] = RepoBehaviour(
        events=[push_event(HEAD, "2026-11-01T09:00:00Z")], rate_limited=1, reset_at=int(now) + 5
    )
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    forge = _forge(github, clock=lambda: now, sleep=sleep, max_rate_wait_s=30)
    got = await forge.push_time(URL, HEAD)
    assert isinstance(got, PushTime) and len(github.requests) == 2
    assert slept and 5 <= slept[0] <= 6


async def test_rate_limit_with_far_reset_is_reported(github) -> None:
    now = 1_800_000_000.0
    github.repos["owner/repo"] = RepoBehaviour(rate_limited=5, reset_at=int(now) + 3600)
    forge = _forge(github, clock=lambda: now, max_rate_wait_s=30)
    got = await forge.push_time(URL, HEAD)
    assert isinstance(got, PushTimeUnknown) and got.reason == "rate_limited"
    assert "3600" in got.detail and len(github.requests) == 1


async def test_rate_limited_twice_gives_up(github) -> None:
    now = 1_800_000_000.0
    github.repos["owner/repo"] = RepoBehaviour(rate_limited=5, reset_at=int(now) + 1)

    async def sleep(s: float) -> None:
        return None

    forge = _forge(github, clock=lambda: now, sleep=sleep)
    got = await forge.push_time(URL, HEAD)
    assert isinstance(got, PushTimeUnknown) and got.reason == "rate_limited"
    assert len(github.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_forge_unavailable(github, status: int) -> None:
    github.repos["owner/repo"] = RepoBehaviour(status=status)
    got = await _forge(github).push_time(URL, HEAD)
    assert isinstance(got, PushTimeUnknown) and got.reason == "forge_unavailable"
    assert len(github.requests) == 1  # PyGithub's own retries are off: our policy decides


async def test_unreachable_forge_and_non_github_url() -> None:
    from fakes.net import free_port

    forge = GitHubForge(base_url=f"http://127.0.0.1:{free_port()}", timeout_s=2)
    got = await forge.push_time(URL, HEAD)
    assert isinstance(got, PushTimeUnknown) and got.reason == "forge_unavailable"
    got = await forge.push_time("file:///tmp/x", HEAD)
    assert isinstance(got, PushTimeUnknown) and got.reason == "unsupported_url"


def _filler(n: int, start: int = 100) -> list[dict]:
    return [
        {
            "id": str(start + i),
            "type": "WatchEvent",
            "created_at": "2026-11-03T00:00:00Z",
            "payload": {},
        }
        for i in range(n)
    ]


async def test_a_push_time_on_the_last_page_survives_the_300_event_window(github) -> None:
    """Found: the events loop asked for a page past its 300-event limit; GitHub answers 422
    and the push time already found on page 3 was thrown away."""
    events = _filler(250) + [push_event(HEAD, "2026-11-01T09:00:00Z", event_id="7")] + _filler(99)
    events += _filler(50, start=1000)  # more than GitHub will page through
    github.repos["owner/repo"] = RepoBehaviour(events=events)
    got = await _forge(github).push_time(URL, HEAD)
    assert got == PushTime(when=_ts("2026-11-01T09:00:00Z"), source="github_events")
    assert not any("page=4" in r for r in github.requests)
    # Even when a later page fails (422 past the window), what was found is kept.
    got = await _forge(github, max_pages=5).push_time(URL, HEAD)
    assert isinstance(got, PushTime)


async def test_malformed_events_are_skipped_never_an_internal_error(github) -> None:
    github.repos["owner/repo"] = RepoBehaviour(
        events=[
            {"id": "1", "type": "PushEvent", "created_at": "2026-11-02T00:00:00Z", "payload": []},
            {"id": "2", "type": "PushEvent", "created_at": "2026-11-02T00:00:00Z", "payload": "x"},
            {
                "id": "3",
                "type": "PushEvent",
                "created_at": "2026-11-02T00:00:00Z",
                "payload": {"head": HEAD, "commits": "nope"},
            },
            {
                "id": "4",
                "type": "PushEvent",
                "created_at": "not a date",
                "payload": {"head": HEAD, "commits": [HEAD, 7, None]},
            },
            push_event(HEAD, "2026-11-01T09:00:00Z", event_id="5"),
        ]
    )
    got = await _forge(github).push_time(URL, HEAD)
    assert got == PushTime(when=_ts("2026-11-01T09:00:00Z"), source="github_events")
