"""`reconciler sandbox railway`: run the Railway GraphQL emulator on loopback until interrupted."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("railway")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port on 127.0.0.1 (0: any).")
@click.option(
    "--seed",
    "seed_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML or JSON seed: projects, environments, services, versions' behaviours (default: a demo project).",
)
@click.option("--fast", is_flag=True, help="Lifecycle phases of tens of milliseconds instead of half a second.")
@click.option(
    "--processes/--no-processes",
    default=None,
    help="Start a demo app process for each live deployment (default: yes, or the seed's setting).",
)
def sandbox_railway(port: int, seed_path: Path | None, fast: bool, processes: bool | None) -> int:
    """Serve Railway's GraphQL API (its real schema) from memory until SIGINT or SIGTERM.

    The first line of output is the GraphQL URL. Any Bearer or Project-Access-Token is accepted.
    """
    from reconciler.sandbox.railway.serve import serve

    return serve(port, seed_path, fast=fast, processes=processes)
