"""The OpenAPI schema documents the problem details every operation may answer with."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .problems import PROBLEM_CONTENT_TYPE, TITLES


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid input: the messages per field (`__all__` for the whole request).",
    )


PROBLEM_STATUSES = (400, 401, 403, 404, 405, 406, 409, 413, 415, 429)


class ProblemAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in PROBLEM_STATUSES:
            responses.setdefault(
                str(code),
                self._get_response_for_code(
                    OpenApiResponse(ProblemSerializer, description=TITLES[code]), str(code), direction=direction
                ),
            )
        for code in map(str, PROBLEM_STATUSES):
            content = responses[code].get("content", {})
            if "application/json" in content:
                content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
            for media_type in [name for name in content if name != PROBLEM_CONTENT_TYPE]:
                del content[media_type]  # a refusal is problem details, whatever the operation's own answer is
        return responses
