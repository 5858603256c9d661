"""The one DbtProject of igw. The manifest is made by `igw build` / `dbt parse`, never at import."""

from dagster_dbt import DbtProject

from igw.config import DBT_PROJECT_DIR, dbt_target_dir

igw_dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir()
)
# Under `dagster dev` only: parse the project so the UI sees current models.
igw_dbt_project.prepare_if_dev()
