"""Ingest: turn input paths into SBOM documents (one reader per format)."""
