"""Ingest: placeholder while the pipeline is built."""
