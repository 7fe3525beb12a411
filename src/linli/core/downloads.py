"""Files Linli hands out 文件下载 (workbooks of the register and of the visits), and the page that
asks again when an export with the full numbers was refused for its reason.

Every file goes out as an attachment that no browser, proxy or shared computer may keep a copy
of (`Cache-Control: no-store`): exports carry personal data.
"""

from __future__ import annotations

from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, file_name: str, *, content_type: str = XLSX) -> HttpResponse:
    """`content` as a download named `file_name` (any characters: sent UTF-8 encoded)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)  # max-age=0, no-cache, no-store, must-revalidate, private
    return response


def full_export_refused(
    request, error: ValidationError, *, back: str, reason_min: int
) -> HttpResponse:
    """The export-with-full-numbers form again, with why it was refused (400, no file).
    The form posts to the address it came from, which carries the export's filters."""
    messages = error.message_dict.get("reason", []) if hasattr(error, "error_dict") else []
    context = {
        "action": request.get_full_path(),
        "reason": request.POST.get("reason", "")[:500],
        "error": " ".join(messages or error.messages),
        "back": back,
        "reason_min": reason_min,
    }
    response = render(request, "full_export.html", context, status=400)
    add_never_cache_headers(response)
    return response
