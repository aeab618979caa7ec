"""Headless subcommands of ``operando-xrd``; each module registers its parser and runs it."""
