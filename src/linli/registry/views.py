# Pages of the registry — being written; see registry/urls.py for the names.
from django.http import Http404


def _pending(request, *args, **kwargs):
    raise Http404


household_list = resident_list = organisation_list = tag_list = household_detail = _pending
