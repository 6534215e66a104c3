"""The registration body's serializer builds no fields per request (web.api.serializers'
ClonedFieldsSerializer) and its instances still never share a bound field, whatever thread
they run in."""

from __future__ import annotations

import threading

from rest_framework import serializers

from web.api.serializers import CaseRegisterInput

BODY = {
    "channel": "hotline",
    "kind": "complaint",
    "category": "CITY-VEND",
    "title": "  幸福路夜市占道 ",
    "content": "每晚摊贩占满人行道。",
    "citizen": {"name": "李四", "phone": "13800135678"},
}


def test_validating_a_registration_builds_no_field(monkeypatch):
    CaseRegisterInput(data=BODY).is_valid()  # whatever the first use of the class builds
    built = []
    original = serializers.Field.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.Field, "__init__", counting)
    serializer = CaseRegisterInput(data=BODY)
    assert serializer.is_valid(), serializer.errors
    assert built == ["CaseRegisterInput"]  # the serializer itself, none of its fields
    assert serializer.validated_data["title"] == "幸福路夜市占道"
    assert serializer.validated_data["citizen"]["phone"] == "13800135678"


def test_instances_bind_their_own_fields_and_leave_the_declared_ones_unbound():
    first, second = CaseRegisterInput(data=BODY), CaseRegisterInput(data={**BODY, "citizen": "李四"})
    assert first.fields["title"] is not second.fields["title"]
    assert first.fields["title"].parent is first and second.fields["title"].parent is second
    assert first.fields["citizen"].fields["name"].root is first
    assert first.is_valid() and not second.is_valid()
    assert set(second.errors) == {"citizen"}
    declared = CaseRegisterInput._declared_fields
    assert all(field.parent is None for field in declared.values())
    assert "fields" not in vars(declared["citizen"])


def test_threads_validating_at_once_each_get_their_own_answer():
    bodies = [{**BODY, "title": f"t{i}", "citizen": {"name": f"n{i}"}} for i in range(8)]
    answers: dict[int, tuple[str, str]] = {}
    start = threading.Barrier(len(bodies))

    def validate(i: int) -> None:
        start.wait()
        for _ in range(50):
            serializer = CaseRegisterInput(data=bodies[i])
            serializer.is_valid(raise_exception=True)
            answers[i] = (serializer.validated_data["title"], serializer.validated_data["citizen"]["name"])

    threads = [threading.Thread(target=validate, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {i: (f"t{i}", f"n{i}") for i in range(len(bodies))}
