from django.urls import re_path

from . import views

app_name = "open311"
FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,8})$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/]{1,40}?)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<number>[^/]{1,40}?)" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]{1,40}?)" + FMT, views.token, name="token"),
]
