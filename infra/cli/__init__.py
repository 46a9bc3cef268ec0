"""`dtimon`, the one command line over the local stack (the Makefile calls it).

command_table.py   every command, its help and its arguments (one table)
main.py            parsing, dispatch, and every failure as one line on stderr
commands/          the work of each command group (run, services, publish, backfill, docs, ...)
ports.py           the ports a command will bind, checked before anything starts
supervision.py     the long-running components of `up`, their health checks
sources.py         where each source is pulled from: its sandbox, its endpoint, its origin
dagruns.py         DAG runs through Airflow, with their progress and logs
"""

from infra.cli.main import main

__all__ = ["main"]
