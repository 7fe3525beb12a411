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
    keeps collections to the objects requests make."""
    from pypinyin import lazy_pinyin

    lazy_pinyin("邻里")  # loads the phrase dictionaries
    gc.collect()
    gc.freeze()


_settle_startup_objects()
