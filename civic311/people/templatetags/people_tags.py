"""`{% load people_tags %}` and `{{ number|phone }}`: a stored phone number (E.164, "+12156868686") as people
read it, "(215) 686-8686"; another country's number in its international format; a number stored before
E.164 that does not parse, as it was written."""

from __future__ import annotations

from django import template

from civic311.people.contact_details import format_phone

register = template.Library()


@register.filter(name="phone")
def phone(value: object) -> str:
    return format_phone(str(value or ""))
