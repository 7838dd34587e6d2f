"""Repository URL policy: production vs local-network mode; cache names never collide."""

from __future__ import annotations

import pytest

from trajectoryrl.verify import Reason, VerifyError, check_repo_url


@pytest.mark.parametrize(
    "url,owner,name",
    [
        ("https://github.com/owner/repo", "owner", "repo"),
        ("https://github.com/owner/repo.git", "owner", "repo"),
        ("https://github.com/a-b/r_e.p-o", "a-b", "r_e.p-o"),
        ("https://github.com/Owner/Repo.GIT", "Owner", "Repo.GIT"),
    ],
)
def test_production_accepts_github(url: str, owner: str, name: str) -> None:
    ref = check_repo_url(url)
    assert (ref.kind, ref.owner, ref.name) == ("github", owner, name)
    assert ref.fetch_url == f"https://github.com/{owner}/{name}.git"


def test_git_suffix_is_a_suffix_not_characters() -> None:
    # the upstream bug: .rstrip(".git") strips characters, turning "widget" into "widge"
    assert check_repo_url("https://github.com/o/widget").name == "widget"
    assert check_repo_url("https://github.com/o/widget.git").name == "widget"


def test_cache_names_are_per_owner_and_case_folded() -> None:
    a = check_repo_url("https://github.com/alice/pack")
    b = check_repo_url("https://github.com/bob/pack")
    assert a.cache_name != b.cache_name
    assert check_repo_url("https://github.com/ALICE/Pack.git").cache_name == a.cache_name


@pytest.mark.parametrize(
    "url,reason",
    [
        ("", Reason.URL_MALFORMED),
        ("https://github.com/" + "a" * 400, Reason.URL_MALFORMED),
        ("https://github.com/o", Reason.URL_MALFORMED),
        ("https://github.com/o/r/tree/main", Reason.URL_MALFORMED),
        ("https://github.com/o/r#x", Reason.URL_MALFORMED),
        ("https://github.com/o/%2e%2e", Reason.URL_MALFORMED),
        ("https://github.com/o/.", Reason.URL_MALFORMED),
        ("https://github.com/o-/r", Reason.URL_MALFORMED),
        ("https://github.com:443/o/r", Reason.URL_HOST_FORBIDDEN),
        ("https://github.com.evil.io/o/r", Reason.URL_HOST_FORBIDDEN),
        ("https://GITHUB.COM/o/r", Reason.URL_MALFORMED),
        ("http://github.com/o/r", Reason.URL_TRANSPORT_FORBIDDEN),
        ("file:///srv/repo.git", Reason.URL_TRANSPORT_FORBIDDEN),
        ("/srv/repo.git", Reason.URL_TRANSPORT_FORBIDDEN),
        ("http://127.0.0.1:9/r.git", Reason.URL_TRANSPORT_FORBIDDEN),
        ("github.com:o/r", Reason.URL_TRANSPORT_FORBIDDEN),
        ("fd::17", Reason.URL_TRANSPORT_FORBIDDEN),
        ("https://github.com/o/r\t", Reason.URL_WHITESPACE),
        ("https://github.com/o/r\x00", Reason.URL_WHITESPACE),
        ("https://github.com/о/r", Reason.URL_NOT_ASCII),  # Cyrillic o
        ("https://github.com\\o\\r", Reason.URL_MALFORMED),
    ],
)
def test_production_refusals(url: str, reason: Reason) -> None:
    with pytest.raises(VerifyError) as err:
        check_repo_url(url)
    assert err.value.reason == reason


def test_non_string_is_refused() -> None:
    with pytest.raises(VerifyError) as err:
        check_repo_url(None)
    assert err.value.reason == Reason.URL_MALFORMED


@pytest.mark.parametrize(
    "url,kind",
    [
        ("file:///srv/packs/m1.git", "file"),
        ("/srv/packs/m1.git", "file"),
        ("http://127.0.0.1:8080/o/r.git", "http_local"),
        ("https://github.com/o/r", "github"),
    ],
)
def test_local_network_mode_allows_local_sources(url: str, kind: str) -> None:
    assert check_repo_url(url, local_network=True).kind == kind
    assert (
        check_repo_url("file:///srv/a.git", local_network=True).key
        == check_repo_url("/srv/a.git", local_network=True).key
    )


@pytest.mark.parametrize(
    "url,reason",
    [
        ("file://relative/path", Reason.URL_MALFORMED),
        ("file:///srv/../etc", Reason.URL_TRAVERSAL),
        ("http://192.168.1.2/r.git", Reason.URL_HOST_FORBIDDEN),
        ("http://localhost/r.git", Reason.URL_HOST_FORBIDDEN),
        ("-/srv/x", Reason.URL_OPTION_INJECTION),
        ("ext::git-remote-ext", Reason.URL_TRANSPORT_FORBIDDEN),
        ("ssh://127.0.0.1/r", Reason.URL_TRANSPORT_FORBIDDEN),
        ("http://u:p@127.0.0.1/r.git", Reason.URL_CREDENTIALS),
    ],
)
def test_local_network_mode_still_refuses_hostile(url: str, reason: Reason) -> None:
    with pytest.raises(VerifyError) as err:
        check_repo_url(url, local_network=True)
    assert err.value.reason == reason
