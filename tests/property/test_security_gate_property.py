"""Property 3, Security Scan Enforcement: the security gate fails iff an unsuppressed finding at or
above the threshold exists.

Random findings (scanner, rule, severity, file) against a random ci/security.toml (global and
per-scanner thresholds, suppressions by exact rule or "*", by exact file, directory glob or "*",
with or without an expiry before, on or after today) and a random reviewed baseline, written to
disk and read back the way the stage reads them. The oracle is written here from the rules, with
its own glob matching for the three shapes generated, and without the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

from deployment_infra.ci.findings import SEVERITIES, Finding, evaluate, load_baseline, load_config

TODAY = dt.date(2026, 11, 30)
SCANNERS = ("checkov", "bandit", "detect-secrets")
RULES = ("R1", "R2", "R3")
FILES = ("terraform/a/main.tf", "terraform/b/s3.tf", "src/x.py", "tests/y.py")
ORDER = {s: i for i, s in enumerate(("low", "medium", "high", "critical"))}

findings_st = st.lists(
    st.builds(
        lambda scanner, rule, sev, loc, res: Finding(scanner, rule, sev, loc, "m", resource=res),
        st.sampled_from(SCANNERS),
        st.sampled_from(RULES),
        st.sampled_from(SEVERITIES),
        st.sampled_from(FILES),
        st.sampled_from(("r1", "r2")),
    ),
    max_size=12,
)
path_globs = st.one_of(st.sampled_from(FILES), st.sampled_from(("terraform/*", "src/*", "*", "nowhere/*")))
suppressions_st = st.lists(
    st.fixed_dictionaries(
        {
            "scanner": st.sampled_from(SCANNERS),
            "rule": st.sampled_from((*RULES, "*")),
            "path": path_globs,
            "expires": st.one_of(st.none(), st.integers(-2, 2).map(lambda d: TODAY + dt.timedelta(days=d))),
        }
    ),
    max_size=5,
)
baseline_st = st.lists(
    st.tuples(st.sampled_from(RULES), st.sampled_from(FILES), st.sampled_from(("r1", "r2"))), max_size=5
)


def glob_matches(pattern: str, location: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        return location.startswith(pattern[:-1])
    return pattern == location


def oracle(findings, threshold, overrides, suppressions, baseline) -> list[Finding]:  # type: ignore[no-untyped-def]
    blocking = []
    for f in findings:
        limit = overrides.get(f.scanner, threshold)
        if ORDER[f.severity] < ORDER[limit]:
            continue
        if any(
            s["scanner"] == f.scanner
            and s["rule"] in ("*", f.rule)
            and glob_matches(s["path"], f.location)
            and (s["expires"] is None or s["expires"] >= TODAY)
            for s in suppressions
        ):
            continue
        if f.scanner == "checkov" and (f.rule, f.location, f.resource) in baseline:
            continue
        blocking.append(f)
    return blocking


def toml(threshold: str, overrides: dict[str, str], suppressions: list[dict[str, object]]) -> str:
    tables = {name: [f'threshold = "{sev}"'] for name, sev in overrides.items()}
    tables.setdefault("checkov", []).append('baseline = "checkov-baseline.json"')
    lines = [f'threshold = "{threshold}"']
    lines += [f"[scanner.{name}]\n" + "\n".join(keys) for name, keys in tables.items()]
    for s in suppressions:
        lines.append(
            f'[[suppress]]\nscanner = "{s["scanner"]}"\nrule = "{s["rule"]}"\npath = "{s["path"]}"\n'
            'reason = "reviewed"' + (f"\nexpires = {s['expires']}" if s["expires"] else "")
        )
    return "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None)
@given(
    findings=findings_st,
    threshold=st.sampled_from(SEVERITIES),
    overrides=st.dictionaries(st.sampled_from(SCANNERS), st.sampled_from(SEVERITIES), max_size=2),
    suppressions=suppressions_st,
    baseline=baseline_st,
)
def test_stage_fails_iff_an_unsuppressed_finding_reaches_the_threshold(
    findings: list[Finding],
    threshold: str,
    overrides: dict[str, str],
    suppressions: list[dict[str, object]],
    baseline: list[tuple[str, str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg_dir = Path(tmp)
        (cfg_dir / "security.toml").write_text(toml(threshold, overrides, suppressions))
        entries = [{"rule": r, "location": loc, "resource": res} for r, loc, res in baseline]
        (cfg_dir / "checkov-baseline.json").write_text(
            json.dumps({"scanner": "checkov", "reason": "issue 9", "accepted": entries})
        )
        config = load_config(cfg_dir)
        accepted = load_baseline(config.baselines["checkov"], "checkov")

    ev = evaluate(findings, config, TODAY, accepted)
    expected = oracle(findings, threshold, overrides, suppressions, set(baseline))

    event(f"stage {'fails' if expected else 'passes'}")
    assert ev.failed == bool(expected)
    assert list(ev.blocking) == expected
    # nothing is dropped: every finding lands in exactly one bucket
    assert len(ev.blocking) + len(ev.suppressed) + len(ev.accepted) + len(ev.below_threshold) == len(findings)
    # expired suppressions are reported, and never the ones still in force
    assert {(s.scanner, s.rule, s.path, s.expires) for s in ev.expired_suppressions} == {
        (s["scanner"], s["rule"], s["path"], s["expires"])
        for s in suppressions
        if s["expires"] is not None and s["expires"] < TODAY  # type: ignore[operator]
    }
