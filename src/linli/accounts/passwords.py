from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CharacterClassValidator:
    """At least `min_length` characters from at least `min_classes` of: lower case, upper
    case, digits, other symbols (等保 level 3 password complexity)."""

    def __init__(self, min_length: int = 8, min_classes: int = 3):
        self.min_length, self.min_classes = min_length, min_classes

    def validate(self, password, user=None):
        classes = sum(
            [
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )
        if len(password) < self.min_length or classes < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return ngettext(
            "Use at least %(length)d character and %(classes)d of: lower case, upper case, digits, symbols.",
            "Use at least %(length)d characters and %(classes)d of: lower case, upper case, digits, symbols.",
            self.min_length,
        ) % {"length": self.min_length, "classes": self.min_classes}


__all__ = ["CharacterClassValidator", "_"]
