"""Ingestion: the simulated operator's source systems and landing them as Parquet."""
