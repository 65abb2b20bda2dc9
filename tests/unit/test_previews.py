"""The pure parts of preview environments: names, CIDR derivation, open-PR parsing, reap selection."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.envs import preview
from deployment_infra.errors import UsageError

ENV_CIDRS = ["10.10.0.0/16", "10.20.0.0/16", "10.30.0.0/16"]  # infra.toml's dev, staging, prod
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
prs = st.integers(min_value=1, max_value=preview.MAX_PR)


def record(pr: int, age_hours: float) -> preview.PreviewRecord:
    return preview.PreviewRecord(
        pr=pr,
        created_at=NOW - timedelta(hours=age_hours),
        url=f"https://pr-{pr}.preview.ngapp.example",
        state_key=preview.state_key(pr),
    )


class TestNames:
    @pytest.mark.parametrize("pr", [0, -1, 1_000_000, True])
    def test_out_of_range_pr_numbers_are_usage_errors(self, pr: int) -> None:
        with pytest.raises(UsageError, match="not a pull request number"):
            preview.check_pr(pr)

    def test_names_keys_and_registry_paths(self) -> None:
        assert preview.check_pr(999_999) == 999_999
        assert preview.env_name(12) == "pr-12"
        assert preview.state_key(12) == "previews/pr-12/terraform.tfstate"
        assert preview.registry_name("ngapp", 12) == "/ngapp/previews/pr-12"
        assert preview.preview_tags(12) == {"Environment": "pr-12", "Preview": "true", "PullRequest": "12"}


class TestCidr:
    def test_first_blocks_skip_the_environments(self) -> None:
        assert preview.preview_cidr(1, ENV_CIDRS) == "10.0.4.0/22"
        # block 640 would be 10.10.0.0/22, inside dev's /16: the walk steps over all 64 of dev's blocks
        assert preview.preview_cidr(640, ENV_CIDRS) == "10.11.0.0/22"

    def test_no_room_is_a_usage_error(self) -> None:
        with pytest.raises(UsageError, match="no room for previews"):
            preview.preview_cidr(1, ["10.0.0.0/8"])

    @settings(max_examples=100, deadline=None)
    @given(pr=prs)
    def test_never_overlaps_an_environment_and_stays_in_the_pool(self, pr: int) -> None:
        net = ipaddress.IPv4Network(preview.preview_cidr(pr, ENV_CIDRS))
        assert net.prefixlen == preview.PREFIX and net.subnet_of(preview.POOL)
        assert not any(net.overlaps(ipaddress.IPv4Network(c)) for c in ENV_CIDRS)

    @settings(max_examples=100, deadline=None)
    @given(a=prs, b=prs)
    def test_previews_closer_than_the_pool_size_get_distinct_networks(self, a: int, b: int) -> None:
        free = preview.POOL.num_addresses // (1 << (32 - preview.PREFIX)) - 3 * 64
        if a % free != b % free:
            assert preview.preview_cidr(a, ENV_CIDRS) != preview.preview_cidr(b, ENV_CIDRS)


class TestOpenPrs:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("12,15", {12, 15}),
            (" 12 15\n7 ", {7, 12, 15}),
            ("", set()),
            ('[{"number": 12}, {"number": 15}]', {12, 15}),
            ("[3, 4]", {3, 4}),
            ("[]", set()),
        ],
    )
    def test_parses_lists_and_gh_json(self, text: str, expected: set[int]) -> None:
        assert preview.parse_open_prs(text) == frozenset(expected)

    @pytest.mark.parametrize("text", ["12,x", "[1.5]", "[true]", "0", '{"number": 1}', "[{"])
    def test_rejects_anything_else(self, text: str) -> None:
        with pytest.raises(UsageError):
            preview.parse_open_prs(text)


class TestRecord:
    def test_round_trips_through_json_shape(self) -> None:
        rec = preview.PreviewRecord(12, NOW, "https://x", "k", NOW, "abc", "img:1")
        data = rec.to_dict()
        assert data["created_at"] == "2026-06-01T12:00:00Z"
        assert preview.PreviewRecord.from_dict(data) == rec


class TestReapSelection:
    def test_without_open_prs_only_age_counts(self) -> None:
        chosen = preview.select_for_reaping([record(1, 80), record(2, 1)], NOW, 72, None)
        assert [(r.pr, why.split(" ")[0]) for r, why in chosen] == [(1, "older")]

    def test_closed_prs_go_whatever_their_age(self) -> None:
        chosen = preview.select_for_reaping([record(1, 1), record(2, 1)], NOW, 72, frozenset({2}))
        assert [(r.pr, why) for r, why in chosen] == [(1, "pull request closed")]

    @settings(max_examples=100, deadline=None)
    @given(
        previews=st.dictionaries(prs, st.floats(min_value=0, max_value=500), max_size=12),
        ttl=st.floats(min_value=0.5, max_value=200),
        open_prs=st.none() | st.frozensets(prs, max_size=12),
        extra_open=st.frozensets(prs, max_size=4),
    )
    def test_selects_exactly_the_expired_or_closed(
        self,
        previews: dict[int, float],
        ttl: float,
        open_prs: frozenset[int] | None,
        extra_open: frozenset[int],
    ) -> None:
        # some previews' PRs are open, plus open PRs that have no preview
        if open_prs is not None:
            open_prs = open_prs | frozenset(list(previews)[::2]) | extra_open
        records = [record(pr, age) for pr, age in previews.items()]
        chosen = {r.pr for r, _ in preview.select_for_reaping(records, NOW, ttl, open_prs)}
        expected = {
            pr
            for pr, age in previews.items()
            if timedelta(hours=age) > timedelta(hours=ttl) or (open_prs is not None and pr not in open_prs)
        }
        assert chosen == expected
