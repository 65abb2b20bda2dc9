"""Grafana dashboards as code: writes monitoring/grafana/dashboards/<uid>.json.

    .venv/bin/python monitoring/grafana/generate.py            # or: make dashboards
    .venv/bin/python monitoring/grafana/generate.py --out DIR  # somewhere else (the staleness test)

Built with grafana-foundation-sdk (pinned in pyproject's dev extras, so the output is stable).
The queries use the recording rules of monitoring/prometheus/rules/ where one exists, so a
dashboard and an alert never disagree about what "error ratio" means.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions, VizTooltipOptions
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DatasourceVariable,
    QueryVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)

OUT_DIR = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
SERVICE = 'env="$env", service="$service"'


def query(expr: str, legend: str = "", ref: str = "A") -> Dataquery:
    return Dataquery().expr(expr).legend_format(legend or "__auto").ref_id(ref)


def thresholds(*steps: tuple[float | None, str]) -> ThresholdsConfig:
    """Absolute steps; the first one's value is None (Grafana's -Infinity)."""
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def timeseries(title: str, unit: str, *targets: Dataquery, span: int = 12) -> Timeseries:
    panel = (
        Timeseries()
        .title(title)
        .unit(unit)
        .datasource(DATASOURCE)
        .span(span)
        .height(8)
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING))
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def stat(title: str, unit: str, target: Dataquery, steps: ThresholdsConfig, span: int = 8) -> Stat:
    return (
        Stat()
        .title(title)
        .unit(unit)
        .datasource(DATASOURCE)
        .span(span)
        .height(6)
        .with_target(target)
        .thresholds(steps)
        .graph_mode(BigValueGraphMode.NONE)
        .color_mode(BigValueColorMode.VALUE)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )


def datasource_variable() -> DatasourceVariable:
    return DatasourceVariable("datasource").label("Data source").type("prometheus")


def label_variable(name: str, query_text: str) -> QueryVariable:
    return (
        QueryVariable(name)
        .label(name)
        .datasource(DATASOURCE)
        .query(query_text)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def base(uid: str, title: str, description: str) -> Dashboard:
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["deployment-infra", "generated"])
        .time("now-6h", "now")
        .refresh("1m")
        .timezone("utc")
        .with_variable(datasource_variable())
        .with_variable(label_variable("env", "label_values(up, env)"))
    )


def service_overview() -> Dashboard:
    return (
        base("service-overview", "Service overview", "Traffic, errors, latency and tasks of the service.")
        .with_variable(label_variable("service", 'label_values(up{job="service", env="$env"}, service)'))
        .with_row(Row("Traffic and errors"))
        .with_panel(
            timeseries(
                "Request rate by status class",
                "reqps",
                query(
                    'sum by (code) (label_replace(rate(http_requests_total{job="service", '
                    + SERVICE
                    + '}[$__rate_interval]), "code", "${1}xx", "status", "(.).."))',
                    "{{code}}",
                ),
            )
        )
        .with_panel(
            timeseries(
                "5xx ratio (page above 5%, ticket above 1%)",
                "percentunit",
                query(f"service:http_requests_5xx:ratio_rate5m{{{SERVICE}}}", "5xx ratio"),
            ).thresholds(thresholds((None, "green"), (0.01, "orange"), (0.05, "red")))
        )
        .with_row(Row("Latency"))
        .with_panel(
            timeseries(
                "Request duration p50 / p99",
                "s",
                query(f"service:http_request_duration_seconds:p50_rate5m{{{SERVICE}}}", "p50", "A"),
                query(f"service:http_request_duration_seconds:p99_rate5m{{{SERVICE}}}", "p99", "B"),
                span=24,
            )
        )
        .with_row(Row("Tasks"))
        .with_panel(
            timeseries(
                "Tasks answering scrapes",
                "short",
                query(f'sum(up{{job="service", {SERVICE}}})', "tasks up"),
                span=8,
            )
        )
        .with_panel(
            timeseries(
                "Task starts in 30 minutes",
                "short",
                query(f"service:task_starts:increase30m{{{SERVICE}}}", "starts"),
                span=8,
            )
        )
        .with_panel(
            timeseries(
                "CPU and memory (of the task limits)",
                "percentunit",
                query(f"service:cpu_utilisation:ratio_rate5m{{{SERVICE}}}", "CPU", "A"),
                query(f"service:memory_utilisation:max_ratio{{{SERVICE}}}", "memory (busiest task)", "B"),
                span=8,
            )
        )
    )


def data_tier() -> Dashboard:
    db = 'job="postgres", env="$env"'
    redis = 'job="redis", env="$env"'
    return (
        base("data-tier", "Data tier", "PostgreSQL (postgres_exporter) and Redis (redis_exporter).")
        .with_row(Row("PostgreSQL"))
        .with_panel(
            timeseries(
                "Connections used (of max_connections)",
                "percentunit",
                query('postgres:connections:ratio{env="$env"}', "{{instance}}"),
            ).thresholds(thresholds((None, "green"), (0.8, "orange"), (0.95, "red")))
        )
        .with_panel(
            timeseries(
                "Connections by database",
                "short",
                query(
                    f"sum by (instance, datname) (pg_stat_database_numbackends{{{db}}})",
                    "{{instance}} {{datname}}",
                ),
            )
        )
        .with_panel(
            timeseries(
                "Replica lag",
                "s",
                query('postgres:replication_lag_seconds:max{env="$env"}', "{{instance}}"),
                span=24,
            ).thresholds(thresholds((None, "green"), (30, "orange"), (300, "red")))
        )
        .with_row(Row("Redis"))
        .with_panel(timeseries("Redis up", "short", query(f"redis_up{{{redis}}}", "{{instance}}"), span=8))
        .with_panel(
            timeseries(
                "Redis memory (of maxmemory)",
                "percentunit",
                query('redis:memory:ratio{env="$env"}', "{{instance}}"),
                span=8,
            )
        )
        .with_panel(
            timeseries(
                "Redis clients", "short", query(f"redis_connected_clients{{{redis}}}", "{{instance}}"), span=8
            )
        )
    )


def backups() -> Dashboard:
    # Recording rules of rules/backups.yml: they accept `environment` (textfile) and `env` alike.
    last_success = 'backup:last_success_timestamp_seconds:max{env="$env"}'
    verified = [
        ValueMap(
            {
                "0": ValueMappingResult(text="failed", color="red", index=0),
                "1": ValueMappingResult(text="passed", color="green", index=1),
            }
        )
    ]
    age_steps = ((None, "green"), (26 * 3600, "orange"), (50 * 3600, "red"))
    return (
        base("backups", "Backups", "What `infra ops verify-backup --metrics-file` reports after each run.")
        .with_row(Row("Verification"))
        .with_panel(
            stat(
                "Since the last passed verification",
                "s",
                query(f"time() - {last_success}", "{{env}} {{database}}"),
                thresholds(*age_steps),
            )
        )
        .with_panel(
            stat(
                "Last verification",
                "none",
                query('backup:verification_success:min{env="$env"}', "{{env}} {{database}}"),
                thresholds((None, "red"), (1, "green")),
            ).mappings(list(verified))
        )
        .with_panel(
            stat(
                "Restore duration (last run)",
                "s",
                query(
                    'max by (method) (backup_restore_duration_seconds{environment="$env"})',
                    "{{method}}",
                ),
                thresholds((None, "text")),
            )
        )
        .with_panel(
            timeseries(
                "Since the last passed verification, over time",
                "s",
                query(f"time() - {last_success}", "{{env}} {{database}}"),
                span=24,
            ).thresholds(thresholds(*age_steps))
        )
    )


DASHBOARDS: tuple[Callable[[], Dashboard], ...] = (service_overview, data_tier, backups)


def render(build: Callable[[], Dashboard]) -> tuple[str, str]:
    """(uid, JSON text): sorted keys and a final newline, so that the files diff cleanly."""
    model = build().build()
    if not model.uid:
        raise ValueError(f"dashboard {model.title!r} has no uid")
    # Unique panel ids, in order: Grafana links and panel edits go by id.
    for number, panel in enumerate(model.panels or [], start=1):
        panel.id_val = number
    return model.uid, JSONEncoder(sort_keys=True, indent=2).encode(model) + "\n"


def write_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for build in DASHBOARDS:
        uid, text = render(build)
        path = out_dir / f"{uid}.json"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the Grafana dashboards as JSON.")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"directory (default {OUT_DIR})")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
