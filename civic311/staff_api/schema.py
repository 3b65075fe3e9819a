"""OpenAPI details drf-spectacular cannot infer: the shape of a validation error."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field names, or non_field_errors, mapped to their messages (a list of strings; an object "
    "for the fields of a nested value). A body that is not JSON is reported under detail.",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}


class ValidationErrorExtension(OpenApiSerializerExtension):
    target_class = "civic311.staff_api.serializers.ValidationErrorSerializer"

    def map_serializer(self, auto_schema, direction):
        return VALIDATION_ERROR_SCHEMA
