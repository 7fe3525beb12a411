import pytest

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """argon2 is deliberately slow (~0.15 s a hash) and the `world` builds nine accounts; these
    tests are not about hashing, so they use a fast hasher. Production keeps argon2 first —
    tests/accounts/test_login.py checks that, with the real setting."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", ARGON2]
