from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    # everyone: their own password; staff: their own API tokens
    path("password/", views.password_change, name="password_change"),
    path("tokens/", views.own_tokens, name="own_tokens"),
    path("tokens/new/", views.own_token_issue, name="own_token_issue"),
    path("tokens/<int:pk>/revoke/", views.own_token_revoke, name="own_token_revoke"),
    # administrator: accounts, system accounts and their API tokens
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/new-system/", views.system_account_create, name="system_account_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/password/", views.user_password_reset, name="user_password_reset"),
    path("users/<int:pk>/tokens/new/", views.api_token_issue, name="api_token_issue"),
    path("users/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    # security officer: grants and lockouts
    path("grants/", views.grant_user_list, name="grant_user_list"),
    path("grants/users/<int:pk>/", views.user_grants, name="user_grants"),
    path("grants/<int:pk>/end/", views.grant_end, name="grant_end"),
    path("locked/", views.locked_list, name="locked_list"),
    path("locked/unlock/", views.account_unlock, name="account_unlock"),
]
