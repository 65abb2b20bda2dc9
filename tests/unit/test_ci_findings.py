"""Security findings: severities, ci/security.toml, the reviewed baselines (ours and detect-secrets'),
and `evaluate`, the rule the security stage applies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from deployment_infra.ci import secrets
from deployment_infra.ci.findings import (
    Accepted,
    Finding,
    SecurityConfig,
    Suppression,
    evaluate,
    load_baseline,
    load_config,
    normalize,
)
from deployment_infra.errors import UsageError
from tests.conftest import REPO

TODAY = dt.date(2026, 11, 30)


def finding(
    sev: str = "high", scanner: str = "checkov", rule: str = "CKV_AWS_1", loc: str = "a/b.tf"
) -> Finding:
    return Finding(scanner, rule, sev, loc, "m", resource="r")  # type: ignore[arg-type]


def write_config(tmp_path: Path, text: str) -> Path:
    cfg = tmp_path / "ci"
    cfg.mkdir(exist_ok=True)
    (cfg / "security.toml").write_text(text)
    return cfg


def test_scanner_vocabularies_map_to_one_scale() -> None:
    assert normalize("moderate") == "medium"  # npm
    assert normalize("MEDIUM") == "medium"  # bandit
    assert normalize("LOW") == "low"
    assert normalize("info") == "low"
    assert normalize("Critical") == "critical"
    assert normalize("UNDEFINED") is None
    assert normalize("") is None


def test_evaluate_sorts_every_finding_into_exactly_one_bucket() -> None:
    cfg = SecurityConfig(
        threshold="high",
        suppressions=(
            Suppression("checkov", "CKV_AWS_2", "mod/*", "reviewed"),
            Suppression("checkov", "*", "tests/*", "test roots"),
        ),
    )
    below = finding("medium")
    supp = finding(rule="CKV_AWS_2", loc="mod/deep/main.tf")  # * crosses /
    wild = finding(rule="CKV_AWS_9", loc="tests/x/main.tf")
    base = finding(rule="CKV_AWS_3")
    block = finding("critical", rule="CKV_AWS_4")
    other_scanner = finding(scanner="bandit", rule="CKV_AWS_2", loc="mod/x.py")  # not the suppression's
    entry = Accepted("checkov", "CKV_AWS_3", "a/b.tf", "r", "issue 9")
    stale = Accepted("checkov", "CKV_AWS_5", "a/b.tf", "r", "issue 9")
    ev = evaluate([below, supp, wild, base, block, other_scanner], cfg, TODAY, [entry, stale])
    assert ev.below_threshold == (below,)
    assert [f for f, _ in ev.suppressed] == [supp, wild]
    assert ev.accepted == ((base, entry),)
    assert ev.blocking == (block, other_scanner)
    assert ev.unused_baseline == (stale,)
    assert ev.failed


def test_an_expired_suppression_stops_suppressing_and_is_reported() -> None:
    live = Suppression("bandit", "B310", "src/x.py", "checked", expires=TODAY)  # last day still counts
    dead = Suppression("bandit", "B608", "src/x.py", "temporary", expires=TODAY - dt.timedelta(days=1))
    other = Suppression("checkov", "CKV_1", "*", "other scanner", expires=dt.date(2000, 1, 1))
    cfg = SecurityConfig(threshold="medium", suppressions=(live, dead, other))
    a = finding("medium", "bandit", "B310", "src/x.py")
    b = finding("medium", "bandit", "B608", "src/x.py")
    ev = evaluate([a, b], cfg, TODAY, scanners={"bandit"})
    assert [f for f, _ in ev.suppressed] == [a]
    assert ev.blocking == (b,)
    assert ev.expired_suppressions == (dead,)  # the checkov one is not this step's


def test_clean_evaluation_passes() -> None:
    ev = evaluate([finding("low")], SecurityConfig(), TODAY)
    assert not ev.failed and ev.below_threshold


def test_severity_for_unmapped_rules_fails_closed() -> None:
    assert SecurityConfig().severity_for("checkov", "CKV_X") == "high"
    assert SecurityConfig(threshold="critical").severity_for("checkov", "CKV_X") == "critical"
    assert SecurityConfig(thresholds={"checkov": "critical"}).severity_for("checkov", "X") == "critical"
    configured = SecurityConfig(
        severity_map={"checkov": {"CKV_A": "low"}}, default_severity={"checkov": "medium"}
    )
    assert configured.severity_for("checkov", "CKV_A") == "low"
    assert configured.severity_for("checkov", "CKV_B") == "medium"  # configured: the operator's call


def test_config_loads_thresholds_maps_suppressions_and_baselines(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path,
        """
threshold = "critical"
[scanner.bandit]
threshold = "medium"
[scanner.checkov]
default_severity = "high"
severity = { CKV_AWS_18 = "low" }
baseline = "cb.json"
[[suppress]]
scanner = "bandit"
rule = "B310"
path = "src/*"
reason = "scheme checked"
expires = 2027-01-31
""",
    )
    (cfg / "cb.json").write_text('{"scanner": "checkov", "reason": "issue 9", "accepted": []}')
    c = load_config(cfg)
    assert c.threshold == "critical" and c.threshold_for("bandit") == "medium"
    assert c.severity_for("checkov", "CKV_AWS_18") == "low"
    assert c.suppressions == (Suppression("bandit", "B310", "src/*", "scheme checked", dt.date(2027, 1, 31)),)
    assert c.baselines == {"checkov": cfg / "cb.json"}
    assert load_config(None) == SecurityConfig()
    assert load_config(tmp_path) == SecurityConfig()  # a directory without security.toml


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('threshold = "severe"', "threshold must be one of low, medium, high, critical"),
        ('[scanner.trivy]\nthreshold = "low"', "unknown scanner 'trivy'"),
        ('[scanner.bandit]\nlevel = "low"', "unknown key 'level'"),
        ("thresold = 'high'", "unknown key 'thresold'"),
        ('[[suppress]]\nscanner = "bandit"\nrule = "B1"\npath = "*"', '"reason" must be a non-empty string'),
        ('[[suppress]]\nscanner = "bandit"\nrule = "B1"\npath = "*"\nreason = "  "', '"reason" must be'),
        ('[[suppress]]\nscanner = "bandit"\nrule = "B1"\nreason = "r"', '"path" must be a non-empty string'),
        (
            '[[suppress]]\nscanner = "bandit"\nrule = "B1"\npath = "*"\nreason = "r"\nexpires = "soon"',
            '"expires" must be a TOML date',
        ),
        (
            '[[suppress]]\nscanner = "bandit"\nrule = "B1"\npath = "*"\nreason = "r"\n'
            "expires = 2027-01-01T00:00:00",
            '"expires" must be a TOML date',
        ),
        ('[scanner.checkov]\nbaseline = "missing.json"', "missing.json not found"),
        ("threshold = ", "invalid TOML"),
    ],
)
def test_malformed_config_is_one_line_of_bad_input(tmp_path: Path, text: str, message: str) -> None:
    cfg = write_config(tmp_path, text)
    with pytest.raises(UsageError) as exc:
        load_config(cfg)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert exc.value.exit_code == 2


def test_json_baseline_needs_a_reason_and_its_scanner(tmp_path: Path) -> None:
    f = tmp_path / "b.json"
    f.write_text('{"scanner": "checkov", "accepted": [{"rule": "R", "location": "x.tf"}]}')
    with pytest.raises(UsageError, match="no reason"):
        load_baseline(f, "checkov")
    f.write_text('{"scanner": "bandit", "reason": "x", "accepted": []}')
    with pytest.raises(UsageError, match='"scanner": "checkov"'):
        load_baseline(f, "checkov")
    f.write_text("{not json")
    with pytest.raises(UsageError, match="not a readable JSON baseline"):
        load_baseline(f, "checkov")
    f.write_text('{"scanner": "checkov", "reason": "i9", "accepted": [{"rule": "R", "location": "x.tf"}]}')
    assert load_baseline(f, "checkov") == (Accepted("checkov", "R", "x.tf", "", "i9"),)


def test_the_repository_configuration_is_reviewed() -> None:
    cfg = load_config(REPO / "ci")
    assert cfg.threshold_for("bandit") == "medium"  # issue 9
    # fail closed: offline checkov gives no severity, so its default must block
    assert cfg.severity_for("checkov", "CKV_NEVER_SEEN") in ("high", "critical")
    assert all(s.reason for s in cfg.suppressions)
    # issue 9: every checkov finding is fixed or skipped inline (tests/unit/test_own_gates.py)
    assert load_baseline(cfg.baselines["checkov"], "checkov") == ()
    doc, entries, refused = secrets.load_baseline(cfg.baselines["detect-secrets"])
    assert entries and not refused  # every entry audited as not a secret, with a reason
    assert all(e["is_secret"] is False and e["reason"].strip() for es in doc["results"].values() for e in es)


def test_detect_secrets_baseline_accepts_only_audited_entries(tmp_path: Path) -> None:
    f = tmp_path / "secrets.baseline"
    e = {"type": "Secret Keyword", "hashed_secret": "h", "is_verified": False, "line_number": 1}
    f.write_text(
        json.dumps(
            {
                "results": {
                    "a.py": [{**e, "is_secret": False, "reason": "a name"}],
                    "b.py": [{**e, "is_secret": True, "reason": "oops"}],
                    "c.py": [{**e, "is_secret": False}],
                    "d.py": [e],
                }
            }
        )
    )
    _, accepted, refused = secrets.load_baseline(f)
    assert accepted == (Accepted("detect-secrets", "Secret Keyword", "a.py", "h", "a name"),)
    assert refused[("Secret Keyword", "b.py", "h")] == secrets.AUDITED_REAL
    assert "not audited" in refused[("Secret Keyword", "c.py", "h")]
    assert "not audited" in refused[("Secret Keyword", "d.py", "h")]
    f.write_text('{"version": "1.5.0"}')
    with pytest.raises(UsageError, match="not a detect-secrets baseline"):
        secrets.load_baseline(f)
