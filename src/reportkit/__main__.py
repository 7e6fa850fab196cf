"""`python -m reportkit` runs the command line."""

from .cli import main

main(prog_name="reportkit")
