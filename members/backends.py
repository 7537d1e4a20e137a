from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.queries import the_row

from .models import Membership


class MembershipBackend(ModelBackend):
    """Django's model backend, loading the person's membership and organisation with them in one query:
    every page needs them (navigation, permissions), and a round trip costs more than the join."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("membership__organisation")
        user = the_row(users.filter(pk=user_id))
        if user is None or not self.user_can_authenticate(user):
            return None
        try:
            membership = user.membership
        except Membership.DoesNotExist:
            membership = None
        user._membership_cache = membership
        return user
