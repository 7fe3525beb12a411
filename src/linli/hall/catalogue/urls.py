"""URL patterns of the service hall's catalogue pages (collected in hall/urls.py).

The public catalogue is under catalogue/ (anyone may read it); its administration under
manage/catalogue/ (catalogue.manage)."""

from django.urls import path

from . import views

urlpatterns = [
    path("catalogue/", views.catalogue_public, name="catalogue"),
    path("catalogue/<int:pk>/", views.catalogue_public_item, name="catalogue_item"),
    path("manage/catalogue/", views.catalogue_manage, name="catalogue_manage"),
    path("manage/catalogue/new/", views.catalogue_item_create, name="catalogue_item_create"),
    path("manage/catalogue/<int:pk>/", views.catalogue_item_manage, name="catalogue_item_manage"),
    path("manage/catalogue/<int:pk>/edit/", views.catalogue_item_edit, name="catalogue_item_edit"),
    path(
        "manage/catalogue/<int:pk>/versions/",
        views.catalogue_item_versions,
        name="catalogue_item_versions",
    ),
    path(
        "manage/catalogue/<int:pk>/offer/", views.catalogue_item_offer, name="catalogue_item_offer"
    ),
    path(
        "manage/catalogue/categories/",
        views.catalogue_category_list,
        name="catalogue_category_list",
    ),
    path(
        "manage/catalogue/categories/new/",
        views.catalogue_category_create,
        name="catalogue_category_create",
    ),
    path(
        "manage/catalogue/categories/<int:pk>/edit/",
        views.catalogue_category_edit,
        name="catalogue_category_edit",
    ),
]
