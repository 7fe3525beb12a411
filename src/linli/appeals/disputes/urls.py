"""The dispute pages, under /appeals/ (beside the appeal pages)."""

from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("<int:pk>/dispute/", views.dispute_detail, name="dispute"),
    path("<int:pk>/dispute/mark/", views.dispute_mark, name="mark"),
    path("<int:pk>/dispute/parties/new/", views.party_add, name="party_add"),
    path("<int:pk>/dispute/mediator/", views.mediator_set, name="mediator"),
    path("<int:pk>/dispute/sessions/new/", views.session_add, name="session_add"),
    path("<int:pk>/dispute/agreement/new/", views.agreement_add, name="agreement_add"),
    path("<int:pk>/dispute/agreement/", views.agreement_print, name="agreement_print"),
    path("<int:pk>/dispute/agreement/scan/", views.scan_upload, name="scan_upload"),
    path("<int:pk>/dispute/agreement/scan/file/", views.scan_file, name="scan_file"),
    path("<int:pk>/dispute/agreement/checks/new/", views.check_add, name="check_add"),
    path("<int:pk>/dispute/refer/", views.refer, name="refer"),
    path("disputes/checks-due/", views.checks_due, name="checks_due"),
]
