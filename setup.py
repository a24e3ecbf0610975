"""Packaging beyond pyproject.toml: the folders of files that are not Python ship inside the wheel.

templates/, static/ and migrations/ stay at the top of the checkout (the team guide names them there);
a wheel carries them as data packages inside `intranet` — intranet/_site/templates, …/static,
…/migrations — and `intranet.config.site_folder` finds the checkout's copy first, the installed one
otherwise. intranet/translations ships the same way, where it is. Python packages under intranet/
are found automatically (each needs its __init__.py).
"""
from setuptools import find_namespace_packages, find_packages, setup

SITE_FOLDERS = ("templates", "static", "migrations")  # top-level folders → intranet._site.<folder>


def data_packages(package: str, folder: str) -> list[str]:
    """`folder` and every folder below it, as packages named under `package` (each ships all its files)."""
    below = find_namespace_packages(where=folder, exclude=["__pycache__", "*.__pycache__"])
    return [package] + [f"{package}.{sub}" for sub in below]


DATA_PACKAGES = data_packages("intranet.translations", "intranet/translations") + [
    package for folder in SITE_FOLDERS for package in data_packages(f"intranet._site.{folder}", folder)
]

setup(
    packages=find_packages(include=["intranet", "intranet.*"]) + DATA_PACKAGES,
    package_dir={f"intranet._site.{folder}": folder for folder in SITE_FOLDERS},
    package_data={package: ["*"] for package in DATA_PACKAGES},
    exclude_package_data={"": ["*.pyc"]},
)
