"""Run an example under PyTorch itself: `python tests/run_with_torch.py EXAMPLE.py ARGS...`
maps every `gradsheet` / `gradsheet.X` import to `torch` / `torch.X`, so the same program
(written with `import gradsheet as torch`) can be compared with the library it imitates."""
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys


class _AsTorch(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `gradsheet...` and loads the `torch...` module of the same path."""

    def find_spec(self, name, path=None, target=None):
        if name == "gradsheet" or name.startswith("gradsheet."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("torch" + spec.name[len("gradsheet"):])

    def exec_module(self, module):
        """Nothing to run: the torch module is imported already."""


if __name__ == "__main__":
    sys.meta_path.insert(0, _AsTorch())
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
