"""E-mails rendered in each recipient's own language, plain text with an HTML alternative."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def render_email(template: str, context: dict, *, language: str) -> dict:
    """Render templates/emails/<template>_subject.txt, .txt and .html in `language`.

    Returns plain strings only, ready to be passed to a task through the broker.
    """
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        body = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return {"subject": subject, "body": body, "html": html}
