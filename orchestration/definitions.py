"""The Dagster code location of igw: every module's definitions, merged."""

from dagster import Definitions

from orchestration import schedules
from orchestration.assets import freshness, landing, reconciliation, warehouse
from orchestration.resources import IgwResource, default_igw_resource


def build_definitions(igw: IgwResource | None = None) -> Definitions:
    """The code location, its assets reading and writing `igw`'s data dir (default: the
    data dir of the environment, $IGW_DATA_DIR or ./data)."""
    return Definitions.merge(
        landing.defs,
        warehouse.defs,
        reconciliation.defs,
        freshness.defs,
        schedules.defs,
        Definitions(resources={"igw": igw or default_igw_resource()}),
    )


defs = build_definitions()
