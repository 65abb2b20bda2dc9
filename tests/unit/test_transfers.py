"""The transfer register: validated on load with one clear error per mistake."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployment_infra import transfers
from deployment_infra.errors import SettingsError

REPO = Path(__file__).resolve().parents[2]
ALLOWED = {
    "public": frozenset({"af-south-1", "us-east-1"}),
    "personal": frozenset({"af-south-1", "af-south-1-los-1a"}),
}
GOOD: dict[str, Any] = {
    "transfer": [
        {
            "id": "TR-001",
            "data_class": "personal",
            "destination": "af-south-1",
            "services": ["rds", "s3"],
            "legal_basis": "s.41(1)(a): contractual clauses (AWS DPA)",
            "approver": "dpo@ngapp.example",
            "expires": dt.date(2027, 6, 30),
        }
    ]
}


def test_repo_register_is_valid() -> None:
    raw = tomllib.loads((REPO / "residency" / "transfers.toml").read_text())
    assert transfers.parse(raw, ALLOWED | {"sensitive-personal": frozenset({"af-south-1"})})


def test_good_entry_and_lookup() -> None:
    (entry,) = transfers.parse(GOOD, ALLOWED)
    assert entry.covers("personal", "af-south-1", "rds") and not entry.covers("personal", "af-south-1", "efs")
    today = dt.date(2026, 11, 30)
    assert transfers.find([entry], "personal", "af-south-1", "s3", today).current == entry
    late = transfers.find([entry], "personal", "af-south-1", "s3", dt.date(2027, 7, 1))
    assert late.current is None and late.expired == (entry,)
    assert transfers.find([entry], "public", "af-south-1", "s3", today) == transfers.Lookup(None, ())


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["transfer"][0].__setitem__(key, value)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_set("id", "one"), "must look like TR-001"),
        (_set("data_class", "secret"), "is not a data class"),
        (_set("destination", "Cape Town"), "not a region or Local Zone id"),
        (_set("destination", "eu-west-1"), "may not be in eu-west-1 at all"),
        (_set("services", []), "services must be a non-empty list"),
        (_set("services", ["rds", "mainframe"]), "unknown services mainframe"),
        (_set("legal_basis", "consent"), "must name NDPA 2023 s.41 or s.43"),
        (_set("legal_basis", "s.42(1): adequacy"), "must name NDPA 2023 s.41 or s.43"),
        (_set("approver", " "), "approver must be a non-empty string"),
        (_set("expires", "2027-06-30"), "expires must be a TOML date"),
        (_set("colour", "red"), "unknown keys colour"),
        (lambda doc: doc["transfer"].append(copy.deepcopy(doc["transfer"][0])), "TR-001 is used twice"),
        (lambda doc: doc.__setitem__("transfers", []), "unknown top-level keys transfers"),
    ],
)
def test_bad_register_is_one_clear_error(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    doc = copy.deepcopy(GOOD)
    mutate(doc)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")) as err:
        transfers.parse(doc, ALLOWED)
    assert "\n" not in str(err.value)


def test_missing_or_broken_register_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"transfer register \(residency\.register\) not found"):
        transfers.load(tmp_path / "nope.toml", ALLOWED)
    bad = tmp_path / "bad.toml"
    bad.write_text("[[transfer]\n")
    with pytest.raises(SettingsError, match="invalid TOML"):
        transfers.load(bad, ALLOWED)
