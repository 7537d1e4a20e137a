from django.utils.functional import SimpleLazyObject

from . import selectors


def membership(request):
    """The signed-in person's organisation and role, for the navigation (lazy: no query unless used)."""
    user = request.user
    member = SimpleLazyObject(lambda: selectors.user_membership(user))
    return {
        "current_membership": member,
        "current_role": SimpleLazyObject(lambda: selectors.user_role(user)),
    }
