"""Command line: `python -m chatrec ...`, one module per command group."""
