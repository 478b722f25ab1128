"""`python -m cctwin` runs the command line."""

from cctwin.cli import main

main()
