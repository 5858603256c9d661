"""The dbt docs site: every model, column, test and exposure, and the lineage from the
landing zone to the statements, built into `<data-dir>/exports/docs/` and served locally."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from collections.abc import Iterable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from igw import config
from igw.dbt_runner import DbtError, build_args, run_dbt

# What dbt docs generate writes that the site needs (static_index.html embeds the other
# three, so it opens from a file without a server).
SITE_FILES = ("index.html", "static_index.html", "manifest.json", "catalog.json")


class DocsError(RuntimeError):
    """The docs could not be built or served; the message is one line for the user."""


def docs_dir(data_dir: Path) -> Path:
    return config.paths(data_dir).exports / "docs"


def generate_args(warehouse_exists: bool) -> list[str]:
    """`dbt docs generate`: the catalog (column types, row counts) is read from the warehouse
    when there is one; before the first build it is left empty, the models' contracts still
    give every column its type."""
    args = [*build_args(command="docs"), "--static"]
    args.insert(1, "generate")
    if not warehouse_exists:
        args.append("--empty-catalog")
    return args


def build_docs(data_dir: Path | None = None) -> Path:
    """Generate the site and replace `<data-dir>/exports/docs/` with it, whole."""
    where = config.activate(data_dir)
    # dbt connects even for an empty catalog, which creates the database files: remove the
    # ones it created, so the docs never leave an empty warehouse behind.
    databases = [where.warehouse, where.data_dir / "restricted.duckdb"]
    created = [path for path in databases if not path.exists()]
    try:
        run_dbt(generate_args(where.warehouse.exists()), where.data_dir)
    except DbtError as error:
        raise DocsError(str(error)) from None
    finally:
        for path in created:
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
    target = config.dbt_target_dir()
    missing = [name for name in SITE_FILES if not (target / name).exists()]
    if missing:
        raise DocsError(f"dbt docs generate wrote no {', '.join(missing)} in {target}")
    site = docs_dir(where.data_dir)
    site.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".docs-", dir=site.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would hide the site from a docs server's user
    for name in SITE_FILES:
        shutil.copy2(target / name, staging / name)
    if site.exists():
        shutil.rmtree(site)
    staging.rename(site)
    return site


def lineage_path(manifest: dict, source_prefix: str, target_id: str) -> list[str] | None:
    """The shortest chain of nodes from any node whose id starts with `source_prefix` to
    `target_id`, following the manifest's parent map (None when there is none)."""
    parents = manifest["parent_map"]
    frontier = [[target_id]]
    seen = {target_id}
    while frontier:
        next_frontier = []
        for chain in frontier:
            for parent in parents.get(chain[0], []):
                if parent in seen:
                    continue
                seen.add(parent)
                extended = [parent, *chain]
                if parent.startswith(source_prefix):
                    return extended
                next_frontier.append(extended)
        frontier = next_frontier
    return None


def read_manifest(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text())


def docs_server(site: Path, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server of the site (port 0: any free port; the bound one is server_port)."""
    if not (site / "index.html").exists():
        raise DocsError(f"no docs site in {site}: run `igw docs` without --no-build first")
    handler = functools.partial(_QuietHandler, directory=str(site))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        raise DocsError(f"cannot serve on {host}:{port}: {error.strerror or error}") from None


def exposures(manifest: dict) -> Iterable[tuple[str, list[str]]]:
    for unique_id, exposure in sorted(manifest.get("exposures", {}).items()):
        yield unique_id, exposure["depends_on"]["nodes"]


class _QuietHandler(SimpleHTTPRequestHandler):
    """The site's files, without a log line per request on the terminal."""

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's name)
        pass
