"""The Dagster code location of igw: every module's definitions, merged."""

from dagster import Definitions

from orchestration import schedules
from orchestration.assets import landing, warehouse
from orchestration.resources import default_igw_resource

defs = Definitions.merge(
    landing.defs,
    warehouse.defs,
    schedules.defs,
    Definitions(resources={"igw": default_igw_resource()}),
)
