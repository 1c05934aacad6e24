"""The ``kaspersky-audit`` command line: wiring only, the work is in :mod:`auditor.api`."""

from __future__ import annotations

import contextlib
import enum
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typing_extensions import assert_never

from auditor import __version__
from auditor.errors import AuditorError, UsageError
from auditor.outcome import ExitCode, FailOn, exit_code

if TYPE_CHECKING:
    from auditor.intel.load import Database

EXIT_CODES_HELP = (
    "Exit codes: 0 every input inspected and nothing at or above --fail-on; 1 findings at or "
    "above --fail-on; 2 usage error, missing path or broken vendor_db; 3 nothing at or above "
    "--fail-on, but at least one input could not be inspected (the audit is incomplete)."
)

app = typer.Typer(
    name="kaspersky-audit",
    help=(
        "Find Kaspersky software - including engines and SDKs white-labelled inside other "
        "vendors' products - in SBOMs (CycloneDX, SPDX) and binaries (PE, ELF, Mach-O, JAR, "
        "APK), and report it as SARIF, JSON or a "
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
    MARKDOWN = "markdown"
    HTML = "html"


#: The format an output file gets from its extension when no --format is given for it.
_BY_EXTENSION = {
    ".sarif": OutputFormat.SARIF,
    ".json": OutputFormat.JSON,
    ".md": OutputFormat.MARKDOWN,
    ".markdown": OutputFormat.MARKDOWN,
    ".txt": OutputFormat.TABLE,
    ".html": OutputFormat.HTML,
    ".htm": OutputFormat.HTML,
}


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


#: ``--db-overlay``, shared by every command that loads vendor_db.
OverlayOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--db-overlay",
        help="Add the indicators of this YAML overlay file to vendor_db (repeatable). "
        "See vendor_db/README.md.",
    ),
]
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Use this vendor_db directory instead of the bundled one."),
]


def _limit_memory(limit: int) -> None:
    """Cap this process's address space (``--max-memory``)."""
    from auditor.memory_cap import cap_address_space

    try:
        cap_address_space(limit)
    except UsageError as exc:
        _fail(str(exc))


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    typer.echo(f"kaspersky-audit: error: {message}", err=True)
    raise typer.Exit(int(code))


@app.command(epilog=EXIT_CODES_HELP)
def scan(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="SBOM and binary files and directories (walked recursively; every "
            "SBOM and binary found is audited). Formats are recognised by content, not by "
            "file name."
        ),
    ],
    output_format: Annotated[
        list[OutputFormat] | None,
        typer.Option(
            "--format",
            "-f",
            help="Report format (repeatable, paired in order with --output) "
            "[default: table, or from the --output file's extension].",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Write a report here (repeatable; default: stdout). "
            "Example: -f sarif -o audit.sarif -f markdown -o summary.md",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            help="Lowest finding level that makes the exit code 1 "
            "[default: the configuration's fail-on, else warning].",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Configuration file (default: .kaspersky-audit.toml, else "
            "[tool.kaspersky-audit] in pyproject.toml, in the working directory).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="SARIF of an accepted earlier audit: findings already in it are marked "
            "unchanged and do not count; only new ones fail the run.",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Inputs audited at once (0: one per core, at most 8). Runs over 32 MiB use "
            "worker processes, each auditing whole inputs; a worker that crashes on an input "
            "is replaced and that input audited again with per-file isolation. A single input "
            "(an image, a disk dump) is unpacked on one thread while N threads parse its "
            "binaries. Reports are the same for any value.",
        ),
    ] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            envvar="DASK_SCHEDULER_ADDRESS",
            help="Run the inputs on this Dask scheduler (e.g. tcp://host:8786; needs the [dask] "
            "extra, the same auditor version on every worker, and the inputs at the same "
            "paths there). Reports are the same as a local run.",
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Keep per-input results here, keyed by content hash, vendor_db and options: "
            "unchanged inputs are not read again on the next run.",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress bar and no summary line on stderr (the bar is also off when "
            "stderr is not a terminal or CI is set).",
        ),
    ] = False,
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="Code-scanning category written to SARIF automationDetails "
            "(keeps several audits of one repository apart).",
        ),
    ] = None,
    timestamps: Annotated[
        bool,
        typer.Option(
            "--timestamps",
            help="Record start and end times in SARIF (off by default: identical inputs "
            "then give byte-identical reports).",
        ),
    ] = False,
    db: DbOption = None,
    db_overlay: OverlayOption = None,
    max_file_size: Annotated[
        int,
        typer.Option(
            "--max-file-size",
            min=1,
            help="Files larger than this many bytes that must be read whole (SBOMs, "
            "binaries, packages) are not inspected (and make the audit incomplete). Larger "
            "archives, file-system and disk images are opened in place, member by member.",
        ),
    ] = 1 << 30,
    max_depth: Annotated[
        int,
        typer.Option(
            "--max-depth",
            min=0,
            help="How deep archives inside archives are "
            "opened; deeper ones are reported, not inspected.",
        ),
    ] = 8,
    max_members: Annotated[
        int, typer.Option("--max-members", min=1, help="Members opened per input, at most.")
    ] = 100_000,
    max_expanded: Annotated[
        int,
        typer.Option(
            "--max-expanded",
            min=1,
            help="Bytes decompressed from one input's archives, at most (zip-bomb guard, "
            "with --max-ratio); members stored as they are (tar, ar, cpio) do not count.",
        ),
    ] = 8 << 30,
    max_ratio: Annotated[
        int,
        typer.Option(
            "--max-ratio", min=2, help="Largest accepted compression ratio for members over 1 MiB."
        ),
    ] = 200,
    max_seconds: Annotated[
        float,
        typer.Option(
            "--max-seconds",
            min=1,
            help="Time spent opening one input's archives, images and file systems, at most; "
            "members left unopened are reported.",
        ),
    ] = 600.0,
    max_memory: Annotated[
        int,
        typer.Option(
            "--max-memory",
            min=0,
            help="Address space this process may use, in bytes (0: no limit; POSIX). An input "
            "or member that needs more is reported as not inspected; worker processes get no "
            "more. Under the cap, threads share one malloc arena and RUST_BACKTRACE is 0.",
        ),
    ] = 0,
    max_run_seconds: Annotated[
        float,
        typer.Option(
            "--max-run-seconds",
            min=0,
            help="Time the whole run may take (0: no limit); inputs and members not reached "
            "in time are reported as not inspected (exit 3).",
        ),
    ] = 0.0,
) -> None:
    """Audit SBOMs, binaries, packages, archives, images and firmware for Kaspersky software."""
    from dataclasses import replace

    from auditor.api import AuditOptions, audit
    from auditor.config import apply_ignores, load_config
    from auditor.ingest.containers import Limits
    from auditor.report.progress import ProgressBar, summary_line, wanted

    try:
        if max_memory:
            _limit_memory(max_memory)
        settings, source = load_config(config)
        accepted = None
        if baseline is not None:
            from auditor.baseline import load_baseline

            accepted = load_baseline(baseline)
        options = AuditOptions(
            db_path=db,
            max_file_size=max_file_size,
            db_overlays=tuple(db_overlay or ()),
            container_limits=Limits(
                max_depth=max_depth,
                max_members=max_members,
                max_total=max_expanded,
                max_ratio=max_ratio,
                max_seconds=max_seconds,
            ),
            max_run_seconds=max_run_seconds,
            max_memory=max_memory,
            keep_records=False,  # no scan report lists every record
        )
        started = _utc_now() if timestamps else ""
        clock = time.monotonic()
        with ProgressBar(wanted(quiet)) as bar:
            options = replace(
                options,
                progress=bar.update,
                jobs=jobs,
                cache_dir=cache_dir,
                scheduler=scheduler or "",
            )
            result = audit(paths, options)
    except AuditorError as exc:
        _fail(str(exc))
    from auditor.report.context import RunContext, git_provenance

    reports = _pair_outputs(output_format or [], output or [])

    context = RunContext(
        arguments=("kaspersky-audit", *sys.argv[1:]),
        start_utc=started,
        end_utc=_utc_now() if timestamps else "",
        category=category or "",
        provenance=git_provenance() if any(f is OutputFormat.SARIF for f, _ in reports) else None,
        base_uri=Path.cwd().resolve().as_uri().rstrip("/") + "/",
    )
    fail_on = fail_on or settings.fail_on or FailOn.WARNING
    result = apply_ignores(result, settings, source)
    if accepted is not None and baseline is not None:
        from auditor.baseline import apply_baseline

        result = apply_baseline(result, accepted, str(baseline))
    for fmt, target in reports:
        try:
            text = _render(result, fmt, fail_on, context)
        except MemoryError:  # the audit is done; its report cannot be held
            _fail(f"ran out of memory while writing the {fmt.value} report (--max-memory)")
        if target is None and fmt is OutputFormat.TABLE:
            from auditor.report.terminal import print_table

            print_table(text)
            continue
        if target is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            continue
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {target}: {exc.strerror or exc}")
    written = [str(target) for _, target in reports if target is not None]
    if not quiet and (written or sys.stderr.isatty()):  # stdout alone: the report says it all
        line = summary_line(result, fail_on, time.monotonic() - clock)
        if written:
            line += f"; report(s) written to {', '.join(written)}"
        typer.echo(line, err=True)
    raise typer.Exit(int(exit_code(result, fail_on)))


def _pair_outputs(
    formats: list[OutputFormat], outputs: list[Path]
) -> list[tuple[OutputFormat, Path | None]]:
    """(format, file) pairs: formats and outputs pair in order; an output without a format
    takes it from its extension; one format without an output goes to stdout."""
    if not outputs:
        if len(formats) > 1:
            _fail("several --format options need one --output each")
        return [(formats[0] if formats else OutputFormat.TABLE, None)]
    if not formats:
        return [
            (_BY_EXTENSION.get(path.suffix.lower(), OutputFormat.TABLE), path) for path in outputs
        ]
    if len(formats) != len(outputs):
        _fail(f"{len(formats)} --format option(s) but {len(outputs)} --output option(s)")
    return list(zip(formats, outputs, strict=True))


@app.command(epilog=EXIT_CODES_HELP)
def sbom(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files and directories to inventory (SBOMs, binaries, archives, images, packages)."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the SBOM here (default: stdout).")
    ] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Use this vendor_db directory.")] = None,
) -> None:
    """Write a CycloneDX 1.6 SBOM of everything found, with the findings attached."""
    from auditor.api import AuditOptions, audit
    from auditor.report.cyclonedx_sbom import render_cyclonedx

    try:
        result = audit(paths, AuditOptions(db_path=db))
    except AuditorError as exc:
        _fail(str(exc))
    text = render_cyclonedx(result)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
    raise typer.Exit(0 if result.complete else int(ExitCode.INCOMPLETE))


@app.command()
def demo(
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Report format.")
    ] = OutputFormat.TABLE,
    db_overlay: OverlayOption = None,
) -> None:
    """Audit the bundled demo: a made-up supplier's appliance SBOMs (no setup needed).

    Prints the report `scan` would print and exits 0 when the demo ran; `kaspersky-audit scan`
    on the same files exits 1, because they contain Kaspersky software.
    """
    from auditor.api import AuditOptions, audit, demo_dir

    folder = demo_dir()
    try:
        options = AuditOptions(display_base=folder.parent, db_overlays=tuple(db_overlay or ()))
        result = audit([folder], options)
    except AuditorError as exc:
        _fail(str(exc))
    sys.stdout.write(_render(result, output_format, FailOn.WARNING))
    if output_format is OutputFormat.TABLE:
        sys.stdout.write(
            f"\nThis was the demo in {folder}. Audit your own SBOMs with: "
            "kaspersky-audit scan PATH...\n"
        )
    raise typer.Exit(0 if result.complete else int(ExitCode.INCOMPLETE))


def _utc_now() -> str:
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="seconds").replace("+00:00", "Z")


def _render(
    result: object, output_format: OutputFormat, fail_on: FailOn, context: object = None
) -> str:
    from auditor.models import AuditResult

    assert isinstance(result, AuditResult)
    if output_format is OutputFormat.TABLE:
        from auditor.report.table import render_table

        return render_table(result, fail_on)
    if output_format is OutputFormat.SARIF:
        from auditor.report.context import RunContext
        from auditor.report.sarif import render_sarif

        return render_sarif(result, context if isinstance(context, RunContext) else None)
    if output_format is OutputFormat.JSON:
        from auditor.report.json_report import render_json

        return render_json(result, fail_on)
    if output_format is OutputFormat.MARKDOWN:
        from auditor.report.markdown import render_markdown

        return render_markdown(result, fail_on)
    if output_format is OutputFormat.HTML:
        from auditor.report.html import render_html

        return render_html(result, fail_on)
    assert_never(output_format)


db_app = typer.Typer(
    name="db",
    help="Inspect and check vendor_db (the sourced indicators) and overlays. "
    "Exit codes: 0 ok; 1 `db verify` found problems; 2 usage error or a vendor_db that "
    "cannot be loaded.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


class DbFormat(str, enum.Enum):
    """Formats of the db commands' output."""

    TEXT = "text"
    JSON = "json"


DbFormatOption = Annotated[DbFormat, typer.Option("--format", "-f", help="Output format.")]


def _emit(data: object, output_format: DbFormat, render: Callable[[Any], str]) -> None:
    if output_format is DbFormat.JSON:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = render(data)
    sys.stdout.write(text)
    sys.stdout.flush()


def _database(db: Path | None, db_overlay: list[Path] | None) -> Database:
    from auditor.intel.load import load_database

    try:
        return load_database(db, tuple(db_overlay or ()))
    except AuditorError as exc:
        _fail(str(exc))


@db_app.command("info")
def db_info(
    db: DbOption = None,
    db_overlay: OverlayOption = None,
    output_format: DbFormatOption = DbFormat.TEXT,
) -> None:
    """Name, version, digest and counts (kind x confidence, sources by grade, overlays)."""
    from auditor.intel import tools

    _emit(tools.db_info(_database(db, db_overlay)), output_format, tools.render_info)


@db_app.command("list")
def db_list(
    kind: Annotated[str | None, typer.Option("--kind", help="Only this indicator kind.")] = None,
    confidence: Annotated[
        str | None, typer.Option("--confidence", help="Only this confidence (high|medium|low).")
    ] = None,
    db: DbOption = None,
    db_overlay: OverlayOption = None,
    output_format: DbFormatOption = DbFormat.TEXT,
) -> None:
    """One line per indicator: id, kind, confidence, implies, value, label."""
    from auditor.intel import tools

    try:
        rows = tools.list_indicators(_database(db, db_overlay), kind, confidence)
    except AuditorError as exc:
        _fail(str(exc))
    _emit(rows, output_format, tools.render_list)


@db_app.command("show")
def db_show(
    indicator_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="Indicator id (KL-NAME-001), OEM relationship (KL-OEM-001) or look-alike "
            "(KL-LOOK-001).",
        ),
    ],
    db: DbOption = None,
    db_overlay: OverlayOption = None,
    output_format: DbFormatOption = DbFormat.TEXT,
) -> None:
    """Explain one indicator and what it would match, or one OEM relationship or look-alike.

    Prints every field and source, the SBOM fields it reads, its normalised phrase and prefilter
    anchor, and runs the matcher on an example that must fire it and a look-alike that must not.
    For a look-alike (KL-LOOK-...), runs the matcher on a record named like it and shows which
    facts it rules out and which indicators it keeps from firing.
    """
    from auditor.intel import tools
    from auditor.intel.compile import compile_intel

    try:
        shown = tools.show(compile_intel(_database(db, db_overlay)), indicator_id)
    except AuditorError as exc:
        _fail(str(exc))
    _emit(shown, output_format, tools.render_any)


@db_app.command("verify")
def db_verify(
    db: DbOption = None,
    db_overlay: OverlayOption = None,
    output_format: DbFormatOption = DbFormat.TEXT,
) -> None:
    """Check vendor_db (and overlays); exit 0 clean, 1 problems, 2 cannot be loaded.

    Checks: schema, unique ids, every entry sourced, no test identities, every pattern compiles,
    every indicator fires on its example and not on its look-alike.
    """
    from auditor.intel import tools

    result = tools.verify(db, tuple(db_overlay or ()))
    _emit(result.as_dict(), output_format, tools.render_verify)
    raise typer.Exit(result.exit_code)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled CI job, ``kill``) unwinds like Ctrl-C, so that temporary
    directories and worker processes are cleaned up on the way out."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Console-script entry point."""
    import signal

    from auditor.scratch import start_run

    start_run()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except SystemExit as stop:
        _exit_now(stop.code)
    _exit_now(0)


def _exit_now(code: object) -> NoReturn:
    """Leave without the interpreter's teardown (freeing every module and object costs about a
    tenth of a small scan), once the reports are flushed and nothing is left running; otherwise
    exit normally so that worker processes, threads and clients are shut down properly."""
    import threading

    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nobody left to tell
            stream.flush()
    scratch = sys.modules.get("auditor.scratch")
    if scratch is not None:  # an interrupted run may leave a private directory behind
        scratch.remove_leftovers()
    multiprocessing = sys.modules.get("multiprocessing")
    busy = (
        threading.active_count() > 1
        or "distributed" in sys.modules
        or (multiprocessing is not None and bool(multiprocessing.active_children()))
    )
    if busy:
        sys.exit(code)
    os._exit(code)
