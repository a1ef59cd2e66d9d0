"""Package list only: grammar/ and lsp/ sit at the top of the checkout but install as
ipxescript.grammar and ipxescript.lsp (see [tool.setuptools] in pyproject.toml)."""

from setuptools import find_packages, setup

packages = find_packages(include=["ipxescript", "ipxescript.*"])
packages += ["ipxescript.grammar", "ipxescript.lsp"]
packages += ["ipxescript.lsp." + p for p in find_packages(where="lsp")]
setup(packages=packages)
