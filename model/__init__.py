"""reformsim.model: the county, its parameters and the Mesa model that steps it."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("reformsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    VERSION = "0+unknown"
