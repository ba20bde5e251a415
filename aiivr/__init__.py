"""AIIVR core library: models, services, permissions, audit, config.

This package is pure: it never imports a UI or transport library (textual, typer,
rich, panoramisk, plotext). tests/unit/test_import_hygiene.py holds it to that.
"""

__version__ = "0.1.0"
