"""The Rewards service: its API faces, domain, storage, jobs and mail.

`__version__` is the one place the service's version is set: `/health` reports it, the OpenAPI
document's `info.version` carries it, pyproject.toml reads it, and CHANGELOG.md has a section
for it.
"""

__version__ = "0.1.0"
