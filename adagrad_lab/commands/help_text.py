"""The lists of options in ``adagrad-lab --help``, made from what is installed.

conf/config.yaml's ``hydra.help.template`` writes ``${options:optimizer}`` where
a group's options go; Hydra reads the template as an OmegaConf value, so the
resolver fills it in when the help is printed: the catalog's rules and
objectives, the experiments' YAML files. A new rule or experiment is in the help
with no edit of the template.
"""

from __future__ import annotations

import textwrap
from importlib import resources

from omegaconf import OmegaConf

from adagrad_lab.catalog import OBJECTIVES, OPTIMIZERS

RESOLVER = "options"
COLUMN = 14  # where the template's lists start ("  optimizer   " is 14 characters)
WIDTH = 92  # the template's longest lines
EXPERIMENTS = "adagrad_lab.experiments"  # experiments/, shipped as this package


def yaml_options(package: str, folder: str = "") -> list[str]:
    """The names of the YAML files in ``folder`` of ``package``, sorted."""
    root = resources.files(package)
    where = root.joinpath(folder) if folder else root
    return sorted(p.name[: -len(".yaml")] for p in where.iterdir() if p.name.endswith(".yaml"))


def names(group: str) -> list[str]:
    """The options of a config group: ``optimizer``, ``objective`` or ``experiment``."""
    if group == "optimizer":
        return list(OPTIMIZERS)
    if group == "objective":  # the built-ins, then conf/objective/*.yaml (custom)
        return [*OBJECTIVES, *yaml_options("adagrad_lab.conf", "objective")]
    if group == "experiment":
        return yaml_options(EXPERIMENTS)
    raise ValueError(f"${{{RESOLVER}:{group}}}: no such group (optimizer, objective, experiment)")


def options(group: str) -> str:
    """``${options:GROUP}``: the group's options, wrapped to the template's column."""
    lines = textwrap.wrap(" ".join(names(group)), WIDTH - COLUMN, break_on_hyphens=False)
    return ("\n" + " " * COLUMN).join(lines)


def register() -> None:
    """Register ``${options:GROUP}`` before Hydra reads the help. Idempotent."""
    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, options)
