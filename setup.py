"""The package list, which pyproject.toml cannot compute: adagrad_lab with every subpackage
found (a new one ships without being listed), and the config trees conf/ and experiments/,
mapped to adagrad_lab.conf and adagrad_lab.experiments by [tool.setuptools.package-dir]."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["adagrad_lab", "adagrad_lab.*"]),
        "adagrad_lab.conf",
        "adagrad_lab.experiments",
    ]
)
