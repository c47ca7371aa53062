"""How Hydra finds the config group `experiment`: the YAML files of `experiments/`.

The folder is `experiments/` at the top of the repository and ships as the
package ``adagrad_lab.experiments``; the group is ``experiment``
(``adagrad-lab experiment=tutorial``). Hydra's ``pkg://`` source names a group
after its folder, and an editable install maps packages, not folders, so no
folder named ``experiment`` exists there. `ExperimentSource` is Hydra's
``pkg://`` source with the package shown under the group name, and
`ExperimentSearchPath` adds it to every config search path (also when a
command line sets ``hydra.searchpath``, which replaces the primary config's
list). Files are read when Hydra asks for them, with their ``# @package``
header; a new ``experiments/NAME.yaml`` is an option at once, in an editable
install and in a wheel alike.
"""

from __future__ import annotations

from importlib import resources

from hydra._internal.core_plugins.importlib_resources_config_source import (
    ImportlibResourcesConfigSource,
)
from hydra.core.config_search_path import ConfigSearchPath
from hydra.core.object_type import ObjectType
from hydra.core.plugins import Plugins
from hydra.plugins.config_source import ConfigLoadError, ConfigResult
from hydra.plugins.search_path_plugin import SearchPathPlugin

GROUP = "experiment"
PACKAGE = "adagrad_lab.experiments"
SCHEME = "adagrad-lab-experiments"


class ExperimentSource(ImportlibResourcesConfigSource):
    """A package's YAML files as the options of the config group `GROUP`, nothing else."""

    @staticmethod
    def scheme() -> str:
        return SCHEME

    @staticmethod
    def _inside(config_path: str) -> str | None:
        """``experiment/NAME`` -> ``NAME`` in the package (``""``: the group itself); else None."""
        head, _, rest = config_path.strip("/").partition("/")
        return rest if head == GROUP else None

    def load_config(self, config_path: str) -> ConfigResult:
        inside = self._inside(config_path)
        if not inside:
            raise ConfigLoadError(f"Config not found : {config_path}")
        return super().load_config(inside)

    def is_group(self, config_path: str) -> bool:
        if not config_path.strip("/"):
            return True  # the root, which holds the one group
        inside = self._inside(config_path)
        return inside is not None and super().is_group(inside)

    def is_config(self, config_path: str) -> bool:
        inside = self._inside(config_path)
        if not inside:
            return False
        return super().is_config(inside)

    def list(self, config_path: str, results_filter: ObjectType | None) -> list[str]:
        if not config_path.strip("/"):
            return [GROUP] if results_filter in (None, ObjectType.GROUP) else []
        inside = self._inside(config_path)
        if inside is None:
            return []
        found: list[str] = []
        for item in resources.files(self.path).joinpath(inside).iterdir():
            path = f"{config_path.strip('/')}/{item.name}"
            self._list_add_result(found, path, item.name, results_filter)
        return sorted(set(found))


class ExperimentSearchPath(SearchPathPlugin):
    """Appends the experiments package to Hydra's config search path."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        search_path.append(provider="adagrad-lab", path=f"{SCHEME}://{PACKAGE}")


def register() -> None:
    """Make the group `experiment` known to Hydra in this process. Idempotent."""
    plugins = Plugins.instance()
    plugins.register(ExperimentSource)
    plugins.register(ExperimentSearchPath)
