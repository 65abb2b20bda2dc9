"""Path validation of CDN invalidations (deploy.cdn) and the CLI's bad-input exits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.deploy.cdn import MAX_PATHS, Invalidation, validate_paths, wait
from deployment_infra.errors import InfraError, UsageError
from tests.conftest import copy_project, run_infra


def test_valid_paths_are_kept_in_order_without_duplicates() -> None:
    assert validate_paths(["/index.html", "/", "/assets/*", "/index.html"]) == [
        "/index.html",
        "/",
        "/assets/*",
    ]


@pytest.mark.parametrize(
    ("paths", "problem"),
    [
        ([], "no paths"),
        (["index.html"], "must start with '/'"),
        (["/a b"], "space"),
        (["/a\tb"], "space"),
        (["/a\x07"], "unprintable"),
        (["/a*/b"], "only at the end"),
        ([f"/{i}" for i in range(MAX_PATHS + 1)], "at most 3000"),
        ([f"/{i}/*" for i in range(16)], "at most 15"),
    ],
)
def test_invalid_paths_are_refused(paths: list[str], problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        validate_paths(paths)


@settings(max_examples=100)
@given(
    st.lists(
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="*")),
        max_size=20,
    )
)
def test_printable_slash_paths_always_pass(tails: list[str]) -> None:
    paths = [f"/{t}" for t in tails] or ["/"]
    assert validate_paths(paths) == list(dict.fromkeys(paths))


def test_wait_times_out_with_one_line() -> None:
    pending = Invalidation("E1", "I1", "InProgress", ("/",), "ref")
    with pytest.raises(InfraError, match="still InProgress"):
        wait(object(), pending, timeout_s=0.0, sleep=lambda _: None)


def test_cli_refuses_bad_paths_before_any_aws_call(tmp_path) -> None:  # type: ignore[no-untyped-def]
    project = copy_project(tmp_path / "p")
    # an unroutable emulator port: a call to AWS would fail differently (exit 1)
    result = run_infra(
        project, "cdn", "invalidate", "--env", "dev", "no-slash", env={"INFRA_EMULATOR_PORT": "9"}
    )
    assert result.returncode == 2, result.stderr
    assert "must start with '/'" in result.stderr and len(result.stderr.strip().splitlines()) == 1
