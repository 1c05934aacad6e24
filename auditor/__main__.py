"""``python -m auditor``: the same command line as ``kaspersky-audit``."""

from auditor.cli import main

main()
