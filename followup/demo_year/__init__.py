"""The demo year: about 2,000 cases of the demo county over the last twelve months, made
through the services (see ``plan.py`` for the mix, ``steps.py`` for the service calls)."""

from .runner import Result, already_loaded, load_demo_year

__all__ = ["Result", "already_loaded", "load_demo_year"]
