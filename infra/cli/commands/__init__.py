"""The work of each `dtimon` command, one module per group; command_table.py names them."""
