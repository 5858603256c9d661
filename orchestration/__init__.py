"""Dagster definitions: landing assets per source entity, the dbt models, the nightly schedule."""
