"""The request lifecycle as a table, checked pair by pair against the documented machine:

    new → acknowledged → assigned → in progress ⇄ on hold → closed / duplicate / referred / cancelled
    closed → reopened → (back into the open states)

Staff may skip ahead but never go backwards, except by reopening a closed request; the final states other
than "closed" go nowhere. The expected table below is derived from those sentences, not copied from the
code, so that a change to either shows up here.
"""

from __future__ import annotations

import itertools

import pytest

from civic311.service_requests.lifecycle import (
    FINAL_STATES,
    NEEDS_PUBLIC_REASON,
    OPEN_STATES,
    TRANSITIONS,
    Status,
    allowed_next,
    can_move,
    open311_status,
)

S = Status
ENDINGS = {S.CLOSED, S.DUPLICATE, S.REFERRED, S.CANCELLED}
# Position along the documented chain; "in progress" and "on hold" share a rank (⇄), the endings share one.
RANK = {
    S.NEW: 0,
    S.ACKNOWLEDGED: 1,
    S.ASSIGNED: 2,
    S.IN_PROGRESS: 3,
    S.ON_HOLD: 3,
    S.CLOSED: 4,
    S.DUPLICATE: 4,
    S.REFERRED: 4,
    S.CANCELLED: 4,
}


def documented(source: Status, target: Status) -> bool:
    if source == target:
        return False
    if source in ENDINGS:
        return source == S.CLOSED and target == S.REOPENED  # only a closed request comes back
    if target == S.REOPENED:
        return False  # reopening is for closed requests only
    if target == S.NEW:
        return False  # nothing goes back to the start
    if source == S.REOPENED:
        return True  # back into any open state after "new", or straight to an ending
    if {source, target} == {S.IN_PROGRESS, S.ON_HOLD}:
        return True
    return RANK[target] > RANK[source]  # skipping ahead is allowed, going back is not


ALL_PAIRS = list(itertools.product(Status, Status))


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{a.value}->{b.value}" for a, b in ALL_PAIRS])
def test_every_pair_of_states_is_allowed_exactly_when_the_documented_machine_allows_it(source, target):
    assert can_move(source, target) is documented(source, target)
    assert (target in allowed_next(source)) is documented(source, target)


def test_the_table_covers_every_state():
    assert set(TRANSITIONS) == set(Status)


def test_the_main_line_is_walkable():
    path = [
        S.NEW,
        S.ACKNOWLEDGED,
        S.ASSIGNED,
        S.IN_PROGRESS,
        S.ON_HOLD,
        S.IN_PROGRESS,
        S.CLOSED,
        S.REOPENED,
        S.ASSIGNED,
        S.CLOSED,
    ]
    for source, target in itertools.pairwise(path):
        assert can_move(source, target), f"{source} → {target}"


@pytest.mark.parametrize("final", [S.DUPLICATE, S.REFERRED, S.CANCELLED])
def test_final_states_other_than_closed_go_nowhere(final):
    assert allowed_next(final) == frozenset()


def test_closed_can_only_be_reopened():
    assert allowed_next(S.CLOSED) == frozenset({S.REOPENED})


def test_every_open_state_can_end_in_every_way():
    for state in OPEN_STATES:
        assert allowed_next(state) >= ENDINGS, state


def test_every_state_is_reachable_from_new():
    seen, frontier = {S.NEW}, [S.NEW]
    while frontier:
        for target in allowed_next(frontier.pop()):
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(Status)


def test_nothing_leads_back_to_new():
    assert not any(S.NEW in targets for targets in TRANSITIONS.values())


def test_open_and_final_states_partition_the_statuses():
    assert FINAL_STATES == ENDINGS
    assert set(Status) - ENDINGS == OPEN_STATES
    assert not OPEN_STATES & FINAL_STATES


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.NEW, "open"),
        (S.ACKNOWLEDGED, "open"),
        (S.ASSIGNED, "open"),
        (S.IN_PROGRESS, "open"),
        (S.ON_HOLD, "open"),
        (S.REOPENED, "open"),
        (S.CLOSED, "closed"),
        (S.DUPLICATE, "closed"),
        (S.REFERRED, "closed"),
        (S.CANCELLED, "closed"),
    ],
)
def test_open311_status_mapping(status, expected):
    assert open311_status(status) == expected
    assert open311_status(status.value) == expected


def test_every_status_maps_onto_open311():
    assert {open311_status(status) for status in Status} == {"open", "closed"}


def test_the_endings_a_resident_is_told_about_need_a_public_reason():
    # A duplicate gets its reason written for it ("Duplicate of request …"), so it needs none from staff.
    assert frozenset({S.CLOSED, S.REFERRED, S.CANCELLED}) == NEEDS_PUBLIC_REASON


@pytest.mark.parametrize("bogus", ["", "open", "CLOSED", "done"])
def test_an_unknown_status_is_refused(bogus):
    with pytest.raises(ValueError, match="is not a valid Status"):
        can_move(bogus, S.CLOSED)
    with pytest.raises(ValueError, match="is not a valid Status"):
        can_move(S.NEW, bogus)
    with pytest.raises(ValueError, match="is not a valid Status"):
        open311_status(bogus)
