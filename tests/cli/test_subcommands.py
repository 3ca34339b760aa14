"""`ks-gui` knows its subcommands from a table, so that opening the window imports none of their modules (several load
Docker's SDK; issue #8): the table must name every subcommand module under the names the module gives itself."""

from __future__ import annotations

import importlib
import pkgutil

from ks_gui import cli


def test_the_table_names_every_subcommand_module_by_its_own_names():
    declared = {}
    for found in pkgutil.iter_modules(cli.__path__):
        module = importlib.import_module(f"ks_gui.cli.{found.name}")
        for command in getattr(module, "NAMES", (getattr(module, "NAME", None),)):
            if command is not None:  # helpers (common, terminal) name no subcommand
                declared[command] = found.name
    assert declared == cli.SUBCOMMANDS
