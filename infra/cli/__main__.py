"""`python -m infra.cli ARGS`: the same as `dtimon ARGS`."""

from infra.cli.main import main

main()
