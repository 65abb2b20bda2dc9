"""Console output: progress and tables go to stderr so that `--json` output on stdout stays clean."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def step(message: str) -> None:
    """A long step begins."""
    err.print(f"[bold cyan]==>[/] {escape(message)}")


def detail(line: str) -> None:
    """A line of progress from a tool (terraform), dimmed."""
    err.print(f"[dim]    {escape(line)}[/]")


def ok(message: str) -> None:
    err.print(f"[bold green]ok[/] {escape(message)}")


def warn(message: str) -> None:
    err.print(f"[bold yellow]warning:[/] {escape(message)}")


def error(message: str) -> None:
    """The one line an expected failure prints (an input echoed in it cannot break the line)."""
    # a Text, not markup: rich's escape() takes minutes on a long run of backslashes
    err.print(Text.assemble(("error:", "bold red"), " " + one_line(message)))


def one_line(text: str) -> str:
    """`text` with newlines, other control characters and undecodable bytes (lone surrogates from
    a non-UTF-8 argument) shown as escapes, so that it prints as one line and cannot drive the
    terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[object]], *, to_stderr: bool = False
) -> None:
    t = Table(title=title, title_justify="left")
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*(escape(str(c)) for c in row))
    (err if to_stderr else out).print(t)


def confirm(question: str) -> bool:
    """Ask on the terminal; without one (CI, pipes) the answer is no: fail closed."""
    if not sys.stdin.isatty():
        return False
    err.print(f"[bold yellow]?[/] {escape(question)} Type 'yes' to continue: ", end="")
    try:
        return input().strip() == "yes"
    except EOFError:
        return False


def print_json(data: Any) -> None:
    """Machine-readable output: stdout, sorted keys, nothing else on that stream."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
