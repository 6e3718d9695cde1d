"""A person's API tokens end with the password they were issued under, and with the account.

When a user's password changes, by any path (the password-change page, the reset link,
admin, `set_password` and `manage.py changepassword`), or the account is deactivated, every
API token of theirs is revoked, as Django signs out their other browser sessions. Each of
those paths saves the user, so the save is where it is caught: before it, the stored
password hash and active flag are compared with the new ones; after it, the tokens go.
Django's own re-hashing of an unchanged password at sign-in is not a change. (A queryset
``.update()`` of the user table sends no signal and is not caught.)
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from common.api.tokens import tokens_revoke_all

WATCHED = {"password", "is_active"}


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="common.tokens_note_credentials")
def note_credentials_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    instance._revoke_api_tokens = False
    if raw or instance.pk is None:
        return
    if update_fields is not None and not WATCHED & set(update_fields):
        return  # e.g. last_login at every sign-in: no query
    stored = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    password_changed = stored["password"] != instance.password and not _is_hash_upgrade(instance, update_fields)
    instance._revoke_api_tokens = password_changed or (stored["is_active"] and not instance.is_active)


def _is_hash_upgrade(user, update_fields) -> bool:
    """Django re-hashes a password at sign-in when its hasher's settings have moved on (after a
    Django upgrade, say): the same password, a new hash. It saves only the hash, without the
    raw password that `set_password` keeps until the save ("Password hash upgrades shouldn't
    be considered password changes", AbstractBaseUser.check_password)."""
    return getattr(user, "_password", None) is None and update_fields is not None and set(update_fields) == {"password"}


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="common.tokens_revoke_on_credentials")
def revoke_tokens_on_credentials_change(sender, instance, created=False, raw=False, **kwargs) -> None:
    if getattr(instance, "_revoke_api_tokens", False):
        instance._revoke_api_tokens = False
        tokens_revoke_all(user=instance)
