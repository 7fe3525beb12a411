from django.urls import path

from . import admin

app_name = "open311_keys"

urlpatterns = [
    path("", admin.key_list, name="list"),
    path("issue/", admin.key_issue, name="issue"),
    path("revoke/", admin.key_revoke, name="revoke"),
]
