"""Reading each scanner's output into findings: npm audit and pip-audit (including how an
unreachable advisory service becomes `not run`, never a pass), checkov and bandit."""

from __future__ import annotations

import json
from pathlib import Path

from deployment_infra.ci import audit, checkov
from deployment_infra.ci.findings import SecurityConfig
from deployment_infra.ci.process import Completed
from deployment_infra.ci.security import bandit_findings
from tests.conftest import REPO

# -- npm audit ----------------------------------------------------------------------------------

NPM_405 = {
    "message": "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
    "method": "POST",
    "statusCode": 405,
    "body": "",
    "error": {"summary": "", "detail": ""},
}
NPM_REPORT = {
    "auditReportVersion": 2,
    "vulnerabilities": {
        "minimist": {
            "name": "minimist",
            "severity": "critical",
            "via": [
                {
                    "source": 1096097,
                    "name": "minimist",
                    "title": "Prototype Pollution in minimist",
                    "url": "https://github.com/advisories/GHSA-xvch-5gv4-984h",
                    "severity": "critical",
                    "range": "<0.2.1",
                },
                {
                    "source": 1096096,
                    "name": "minimist",
                    "title": "Prototype Pollution in minimist",
                    "url": "https://github.com/advisories/GHSA-vh95-rmgr-6w4m",
                    "severity": "moderate",
                    "range": "<0.2.1",
                },
            ],
        },
        "mkdirp": {"name": "mkdirp", "severity": "critical", "via": ["minimist"]},
    },
    "metadata": {"dependencies": {"total": 3}},
}


def test_npm_audit_http_error_is_not_run_never_a_pass() -> None:
    a = audit.classify_npm(NPM_405, "package-lock.json", SecurityConfig(), "npm 11", 1.0)
    assert a.outcome == "not run" and "405 Method Not Allowed" in a.reason and not a.findings
    offline = audit.classify_npm(
        {"error": {"code": "ENOTFOUND", "summary": "getaddrinfo ENOTFOUND"}}, "p", SecurityConfig(), "npm", 0
    )
    assert offline.outcome == "not run"
    nolock = audit.classify_npm(
        {"error": {"code": "ENOLOCK", "summary": "needs a lockfile"}}, "p", SecurityConfig(), "npm", 0
    )
    assert nolock.outcome == "error" and "needs a lockfile" in nolock.reason


def test_npm_audit_report_becomes_findings_per_advisory() -> None:
    a = audit.classify_npm(NPM_REPORT, "svc/package-lock.json", SecurityConfig(), "npm 11", 1.0)
    assert a.outcome == "ran" and a.audited == 3
    assert [(f.rule, f.severity, f.location, f.resource) for f in a.findings] == [
        ("GHSA-xvch-5gv4-984h", "critical", "svc/package-lock.json", "minimist"),
        ("GHSA-vh95-rmgr-6w4m", "medium", "svc/package-lock.json", "minimist"),  # npm "moderate"
    ]  # mkdirp is vulnerable only through minimist, which carries the advisories


# -- pip-audit ----------------------------------------------------------------------------------


def _done(rc: int, stdout: object = "", stderr: str = "") -> Completed:
    return Completed(rc, stdout if isinstance(stdout, str) else json.dumps(stdout), stderr, 1.0)


def test_pip_audit_that_audited_nothing_is_not_run() -> None:
    # what pip-audit prints here: PyPI's per-version JSON API answers 404, so every dependency is
    # "not found" and it exits 0 saying "No known vulnerabilities found"
    skipped = {
        "dependencies": [
            {
                "name": "requests",
                "skip_reason": "Dependency not found on PyPI and could not be audited: requests (2.19.0)",
            },
            {
                "name": "idna",
                "skip_reason": "Dependency not found on PyPI and could not be audited: idna (2.7)",
            },
        ],
        "fixes": [],
    }
    a = audit.classify_pip(_done(0, skipped), SecurityConfig(), "pip-audit 2.10.1", "env")
    assert a.outcome == "not run" and "none of the 2 dependencies" in a.reason
    assert (
        audit.classify_pip(_done(0, {"dependencies": [], "fixes": []}), SecurityConfig(), "p", "e").outcome
        == "ran"
    )


def test_pip_audit_unreachable_service_is_not_run_other_crashes_fail() -> None:
    # what `pip-audit -s osv` prints here (exit 1, a traceback, no report)
    err = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): "
    err += "Max retries exceeded with url: /v1/query (Caused by NameResolutionError(...))"
    offline = audit.classify_pip(_done(1, "", err), SecurityConfig(), "p", "e")
    assert offline.outcome == "not run" and "api.osv.dev" in offline.reason
    crash = audit.classify_pip(_done(2, "", "ValueError: bad requirement"), SecurityConfig(), "p", "e")
    assert crash.outcome == "error" and "bad requirement" in crash.reason
    assert audit.classify_pip(_done(0, "not json"), SecurityConfig(), "p", "e").outcome == "error"


def test_pip_audit_vulnerabilities_are_high_unless_configured() -> None:
    report = {
        "dependencies": [
            {
                "name": "requests",
                "version": "2.19.0",
                "vulns": [{"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"], "aliases": ["CVE-2018-18074"]}],
            },
            {"name": "idna", "version": "3.7", "vulns": []},
            {"name": "private-pkg", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    a = audit.classify_pip(_done(1, report), SecurityConfig(), "p", "e")
    assert a.outcome == "ran" and a.audited == 2 and a.notes == ["not audited: Dependency not found on PyPI"]
    [f] = a.findings
    assert (f.rule, f.severity, f.location) == ("PYSEC-2018-28", "high", "requests==2.19.0")
    assert "2.20.0" in f.message and "CVE-2018-18074" in f.message
    low = SecurityConfig(severity_map={"pip-audit": {"PYSEC-2018-28": "low"}})
    assert audit.classify_pip(_done(1, report), low, "p", "e").findings[0].severity == "low"


# -- checkov and bandit output ------------------------------------------------------------------


def test_checkov_report_findings_inline_skips_and_parse_errors(tmp_path: Path) -> None:
    def check(cid: str, resource: str, **extra: object) -> dict[str, object]:
        return {
            "check_id": cid,
            "check_name": f"name of {cid}",
            "file_abs_path": str(tmp_path / "mod" / "main.tf"),
            "file_path": "/mod/main.tf",
            "file_line_range": [3, 9],
            "resource": resource,
            "severity": None,
            **extra,
        }

    report = [
        {
            "check_type": "terraform",
            "results": {
                "failed_checks": [check("CKV_AWS_145", "module.cdn.aws_s3_bucket.b")],
                "skipped_checks": [
                    check("CKV_AWS_18", "aws_s3_bucket.b", check_result={"suppress_comment": "log bucket"}),
                    check(
                        "CKV_AWS_21",
                        "aws_s3_bucket.b",
                        check_result={"suppress_comment": "No comment provided"},
                    ),
                ],
                "parsing_errors": [str(tmp_path / "broken.tf")],
            },
            "summary": {"passed": 1, "failed": 1},
        },
        {"passed": 0, "failed": 0, "checkov_version": "3.3.30"},  # a framework with nothing to check
    ]
    cfg = SecurityConfig(severity_map={"checkov": {"CKV_AWS_145": "critical"}})
    run = checkov.parse(json.dumps(report), tmp_path, cfg)
    assert [(f.rule, f.severity, f.location, f.line, f.resource) for f in run.findings] == [
        ("CKV_AWS_145", "critical", "mod/main.tf", 3, "aws_s3_bucket.b"),  # module prefix dropped
        ("CKV_AWS_21", "high", "mod/main.tf", 3, "aws_s3_bucket.b"),  # a skip without a reason
        ("CHECKOV_PARSE_ERROR", "high", "broken.tf", 0, ""),
    ]
    assert run.inline_skips == ["CKV_AWS_18 mod/main.tf:3 aws_s3_bucket.b: log bucket"]
    docker = checkov.parse(
        json.dumps(
            {
                "check_type": "dockerfile",
                "results": {
                    "failed_checks": [check("CKV_DOCKER_7", "/a/Dockerfile.FROM", file_path="/a/Dockerfile")]
                },
            }
        ),
        tmp_path,
        cfg,
    )
    assert docker.findings[0].resource == "FROM"  # the same key whichever directory checkov ran on
    # checkov's own severity (offline it knows a few) counts, unless ci/security.toml maps the rule
    graph = {
        "check_type": "terraform",
        "results": {"failed_checks": [check("CKV2_AWS_34", "a.b", severity="MEDIUM")]},
    }
    assert checkov.parse(json.dumps(graph), tmp_path, SecurityConfig()).findings[0].severity == "medium"
    mapped = SecurityConfig(severity_map={"checkov": {"CKV2_AWS_34": "high"}})
    assert checkov.parse(json.dumps(graph), tmp_path, mapped).findings[0].severity == "high"


def test_checkov_venv_lives_in_the_checkout() -> None:
    assert checkov.venv_dir() == REPO / ".infra" / "checkov-venv"
    assert checkov.frameworks(REPO, frozenset({"terraform", "python", "workflows"}))[:2] == [
        "terraform",
        "github_actions",
    ]


def test_bandit_report(tmp_path: Path) -> None:
    out = {
        "results": [
            {
                "filename": str(tmp_path / "src" / "x.py"),
                "line_number": 7,
                "test_id": "B608",
                "test_name": "hardcoded_sql_expressions",
                "issue_severity": "MEDIUM",
                "issue_confidence": "LOW",
                "issue_text": "Possible SQL injection vector",
            }
        ],
        "errors": [
            {
                "filename": str(tmp_path / "src" / "bad.py"),
                "reason": "syntax error while parsing AST from file",
            }
        ],
    }
    [issue, error] = bandit_findings(json.dumps(out), tmp_path, SecurityConfig())
    assert (issue.rule, issue.severity, issue.where) == ("B608", "medium", "src/x.py:7")
    assert "confidence low" in issue.message
    assert (error.rule, error.severity, error.location) == ("BANDIT_SCAN_ERROR", "high", "src/bad.py")
