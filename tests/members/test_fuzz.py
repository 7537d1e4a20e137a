"""Whatever arrives in a query string or a form, the answer is a page or a 4xx, never a 500."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

nasty_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", "0", "-1", "1e309", "NaN", "true", "\x00", "%00", "' OR 1=1 --", "<script>", "９"]),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["q", "kind", "kecamatan", "province", "japnas", "page"]), nasty_text))
def test_directory_filters_never_500(client, plant_admin, params):
    client.force_login(plant_admin)
    assert client.get(reverse("members:directory"), params).status_code == 200


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "full_name",
                "email",
                "password1",
                "password2",
                "kind",
                "name",
                "nib",
                "address",
                "city",
                "kecamatan",
                "province",
                "latitude",
                "longitude",
                "japnas_number",
                "phone",
            ]
        ),
        nasty_text,
    )
)
def test_signup_never_500(client, data):
    cache.clear()  # rate-limit counters: every example reaches the form
    response = client.post(reverse("members:signup"), data)
    assert response.status_code in (200, 302, 400)
