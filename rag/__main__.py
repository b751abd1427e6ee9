"""`python -m rag` = the `rag` command."""

from .cli import main

main()
