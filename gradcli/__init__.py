"""gradcli: type a formula, get the minimum, and see how each method got there.

The API is imported lazily so that ``gradcli --help`` never pays for SymPy or SciPy.
"""

__version__ = "0.1.0"
__all__ = ["objective", "minimize", "__version__"]


def __getattr__(name):
    if name in ("objective", "minimize"):
        from gradcli import api
        return getattr(api, name)
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
