"""Resources shared by the assets."""

from dagster import ConfigurableResource

from igw import config


class IgwResource(ConfigurableResource):
    """Where this deployment's data dir is (landing zone, vendors' deliveries, warehouse)."""

    data_dir: str
    sources_file: str | None = None  # default: <data_dir>/sources.yaml

    def activate(self) -> config.Paths:
        """Resolve the data dir and export it, so dbt's profile points at the same warehouse."""
        return config.activate(self.data_dir)

    def ingest_settings(self):
        """Where the sources are (their tokens come from the environment)."""
        from ingestion.sources import load_settings
        from ingestion.vendors.serve import sources_path

        return load_settings(self.sources_file or sources_path(self.activate().data_dir))


def default_igw_resource() -> IgwResource:
    return IgwResource(data_dir=str(config.resolve_data_dir()))
