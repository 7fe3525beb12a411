"""The WSGI application, as `linli serve`, gunicorn or any WSGI server loads it."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
application = get_wsgi_application()


def _settle_startup_objects() -> None:
    """Load the long-lived tables now and exempt them from garbage collection.

    pypinyin's dictionaries alone are ~200,000 objects; left in the collector's oldest
    generation they make every full collection take 50–150 ms, which lands on whichever request
    happens to trigger it. Freezing what start-up created (they live as long as the process)
    keeps collections to the objects requests make. The URLconf is loaded here too rather than
    on the first request: it builds the API's schemas, ~37,000 objects whose validators are slow
    to traverse (a full collection over them alone takes 80–100 ms)."""
    from django.urls import get_resolver
    from pypinyin import lazy_pinyin

    lazy_pinyin("邻里")  # loads the phrase dictionaries
    # Imports every view module, builds the API's schemas and the table `reverse` looks up.
    len(get_resolver().reverse_dict)
    gc.collect()
    gc.freeze()


_settle_startup_objects()
