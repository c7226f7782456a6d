"""The `darkrt` console script: the CLI built into the package."""
import os
import sys

from ._tools import CLI


def main():
    os.execv(CLI, [CLI] + sys.argv[1:])
