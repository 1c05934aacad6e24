"""The ``kaspersky-audit`` command line: wiring only, the work is in :mod:`auditor.api`."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from typing_extensions import assert_never

from auditor import __version__
from auditor.errors import AuditorError
from auditor.outcome import ExitCode, FailOn, exit_code

EXIT_CODES_HELP = (
    "Exit codes: 0 every input inspected and nothing at or above --fail-on; 1 findings at or "
    "above --fail-on; 2 usage error, missing path or broken vendor_db; 3 nothing at or above "
    "--fail-on, but at least one input could not be inspected (the audit is incomplete)."
)

app = typer.Typer(
    name="kaspersky-audit",
    help=(
        "Find Kaspersky software - including engines and SDKs white-labelled inside other "
        "vendors' products - in SBOMs (CycloneDX, SPDX), and report it as SARIF, JSON or a "
        "table. " + EXIT_CODES_HELP
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, enum.Enum):
    """Report formats."""

    TABLE = "table"
    SARIF = "sarif"
    JSON = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kaspersky-audit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Kaspersky software auditor."""


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    typer.echo(f"kaspersky-audit: error: {message}", err=True)
    raise typer.Exit(int(code))


@app.command(epilog=EXIT_CODES_HELP)
def scan(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="SBOM files and directories (walked recursively; every SBOM found "
            "is audited). Formats are recognised by content, not by file name."
        ),
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Report format.")
    ] = OutputFormat.TABLE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here (default: stdout).")
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Lowest finding level that makes the exit code 1.")
    ] = FailOn.WARNING,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Use this vendor_db directory instead of the bundled one."),
    ] = None,
    max_file_size: Annotated[
        int,
        typer.Option(
            "--max-file-size",
            min=1,
            help="Inputs larger than this many bytes "
            "are not inspected (and make the audit incomplete).",
        ),
    ] = 1 << 30,
) -> None:
    """Audit SBOMs for Kaspersky software."""
    from auditor.api import AuditOptions, audit

    try:
        result = audit(paths, AuditOptions(db_path=db, max_file_size=max_file_size))
    except AuditorError as exc:
        _fail(str(exc))
    text = _render(result, output_format, fail_on)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
        if output_format is not OutputFormat.TABLE:
            from auditor.report.table import render_table

            summary = render_table(result, fail_on).rstrip("\n").rsplit("\n", 1)[-1]
            typer.echo(f"{summary}\nReport written to {output}", err=True)
    raise typer.Exit(int(exit_code(result, fail_on)))


@app.command()
def demo(
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Report format.")
    ] = OutputFormat.TABLE,
) -> None:
    """Audit the bundled demo: a made-up supplier's appliance SBOMs (no setup needed).

    Prints the report `scan` would print and exits 0 when the demo ran; `kaspersky-audit scan`
    on the same files exits 1, because they contain Kaspersky software.
    """
    from auditor.api import AuditOptions, audit, demo_dir

    folder = demo_dir()
    try:
        result = audit([folder], AuditOptions(display_base=folder.parent))
    except AuditorError as exc:
        _fail(str(exc))
    sys.stdout.write(_render(result, output_format, FailOn.WARNING))
    if output_format is OutputFormat.TABLE:
        sys.stdout.write(
            f"\nThis was the demo in {folder}. Audit your own SBOMs with: "
            "kaspersky-audit scan PATH...\n"
        )
    raise typer.Exit(0 if result.complete else int(ExitCode.INCOMPLETE))


def _render(result: object, output_format: OutputFormat, fail_on: FailOn) -> str:
    from auditor.models import AuditResult

    assert isinstance(result, AuditResult)
    if output_format is OutputFormat.TABLE:
        from auditor.report.table import render_table

        return render_table(result, fail_on)
    if output_format is OutputFormat.SARIF:
        from auditor.report.sarif import render_sarif

        return render_sarif(result)
    if output_format is OutputFormat.JSON:
        from auditor.report.json_report import render_json

        return render_json(result, fail_on)
    assert_never(output_format)


def main() -> None:
    """Console-script entry point."""
    app()
